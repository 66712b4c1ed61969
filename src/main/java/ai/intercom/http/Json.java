package ai.intercom.http;

import ai.intercom.protocol.JsonFormat;
import com.fasterxml.jackson.annotation.JsonInclude;
import org.apache.pekko.http.javadsl.marshallers.jackson.Jackson;
import org.apache.pekko.http.javadsl.marshalling.Marshaller;
import org.apache.pekko.http.javadsl.model.RequestEntity;

/** The local API's JSON ({@link JsonFormat}) as Pekko HTTP marshalling, and its error body. */
public final class Json {

  private Json() {}

  public static <T> Marshaller<T, RequestEntity> marshaller() {
    return Jackson.marshaller(JsonFormat.MAPPER);
  }

  /**
   * The body of every error answer: the sentence, and for a refusal its code ({@code not_found},
   * {@code conflict}, ...; see {@link ai.intercom.protocol.Refusal.Code}).
   */
  @JsonInclude(JsonInclude.Include.NON_NULL)
  public record Error(String error, String code) {}
}

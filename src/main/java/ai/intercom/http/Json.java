package ai.intercom.http;

import ai.intercom.serialization.JsonFormat;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.apache.pekko.http.javadsl.marshallers.jackson.Jackson;
import org.apache.pekko.http.javadsl.marshalling.Marshaller;
import org.apache.pekko.http.javadsl.model.RequestEntity;

/** The local API's JSON ({@link JsonFormat}) as Pekko HTTP marshalling, and its error body. */
public final class Json {

  public static final ObjectMapper MAPPER = JsonFormat.MAPPER;

  private Json() {}

  public static <T> Marshaller<T, RequestEntity> marshaller() {
    return Jackson.marshaller(MAPPER);
  }

  /** The body of every error answer. */
  public record Error(String error) {}
}

package ai.intercom.http;

import ai.intercom.directory.Directory;
import java.util.Map;
import org.apache.pekko.http.javadsl.server.Route;

/**
 * Who is there, for agents and operators: {@code GET /api/agents?filter=all|online|machine:ID},
 * {@code GET /api/machines}, {@code GET /api/feedback}.
 */
public final class DirectoryRoutes extends JsonRoutes {

  private final Directory directory;

  public DirectoryRoutes(Directory directory) {
    this.directory = directory;
  }

  public Route route() {
    return get(
        () ->
            concat(
                path(
                    "agents",
                    () ->
                        parameterOptional(
                            "filter",
                            filter ->
                                onComplete(
                                    directory.agents(filter.orElse("all")),
                                    result ->
                                        result.isSuccess()
                                            ? completeOK(
                                                Map.of(
                                                    "status",
                                                    "ok",
                                                    "count",
                                                    result.get().size(),
                                                    "agents",
                                                    result.get()),
                                                Json.marshaller())
                                            : result.failed().get()
                                                    instanceof IllegalArgumentException
                                                ? badRequest(result.failed().get().getMessage())
                                                : failWith(result.failed().get())))),
                path(
                    "machines",
                    () ->
                        onSuccess(
                            directory.machines(),
                            machines ->
                                completeOK(
                                    Map.of("status", "ok", "machines", machines),
                                    Json.marshaller()))),
                path(
                    "feedback",
                    () ->
                        onSuccess(
                            directory.feedback(),
                            feedback ->
                                completeOK(
                                    Map.of("status", "ok", "feedback", feedback),
                                    Json.marshaller())))));
  }
}

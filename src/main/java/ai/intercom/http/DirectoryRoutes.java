package ai.intercom.http;

import ai.intercom.directory.Directory;
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
                                                new Answers.Agents(
                                                    "ok", result.get().size(), result.get()),
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
                                    new Answers.Machines("ok", machines), Json.marshaller()))),
                path(
                    "feedback",
                    () ->
                        onSuccess(
                            directory.feedback(),
                            feedback ->
                                completeOK(
                                    new Answers.FeedbackList("ok", feedback),
                                    Json.marshaller())))));
  }
}

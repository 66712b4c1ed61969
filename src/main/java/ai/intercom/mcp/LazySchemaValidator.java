package ai.intercom.mcp;

import io.modelcontextprotocol.json.schema.JsonSchemaValidator;
import io.modelcontextprotocol.json.schema.jackson2.JacksonJsonSchemaValidatorSupplier;
import java.util.Map;

/**
 * The SDK's JSON-schema validator, made on the first tool call instead of at start: it loads a
 * schema library that would delay the answer to {@code initialize}, which the agent waits for.
 */
final class LazySchemaValidator implements JsonSchemaValidator {

  private volatile JsonSchemaValidator validator;

  @Override
  public ValidationResponse validate(Map<String, Object> schema, Object structuredContent) {
    JsonSchemaValidator current = validator;
    if (current == null) {
      synchronized (this) {
        if (validator == null) {
          validator = new JacksonJsonSchemaValidatorSupplier().get();
        }
        current = validator;
      }
    }
    return current.validate(schema, structuredContent);
  }
}

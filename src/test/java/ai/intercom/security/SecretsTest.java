package ai.intercom.security;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class SecretsTest {

  private static final String TELEGRAM = "AAriGp-58WAm_dX3a5IDnOdcdbWB2dC4-DS";
  private static final String GITHUB = "tsL4F28GzL2cEpVZzAQlxJ4SXRVxfCQGgXkH";

  @Test
  void environmentAssignmentsKeepTheirNameAndLoseTheirValue() {
    assertEquals("GITHUB_TOKEN=*** gh pr list", Secrets.redact("GITHUB_TOKEN=abc123 gh pr list"));
    assertEquals(
        "export DB_PASSWORD='***' && psql",
        Secrets.redact("export DB_PASSWORD='hunter 2' && psql"));
    assertEquals("MY_SECRET=\"***\" run", Secrets.redact("MY_SECRET=\"a \\\"b\\\" c\" run"));
  }

  @Test
  void flagsWithASpaceOrAnEqualsSignAreRedacted() {
    assertEquals(
        "deploy --api-key *** --env prod", Secrets.redact("deploy --api-key k123 --env prod"));
    assertEquals("deploy --api_key=*** -v", Secrets.redact("deploy --api_key=k123 -v"));
    assertEquals("login --password \"***\"", Secrets.redact("login --password \"my pass\""));
    assertEquals("cli -apikey ***", Secrets.redact("cli -apikey xyz"));
    assertEquals(
        "cli --credentials *** --passwd ***", Secrets.redact("cli --credentials c1 --passwd p1"));
    assertEquals("ssh-add --private-key=***", Secrets.redact("ssh-add --private-key=abc"));
    assertEquals("mvn -Ddb.pwd=*** deploy", Secrets.redact("mvn -Ddb.pwd=s3cr3t deploy"));
  }

  @Test
  void keyColonValueIsRedactedInHeadersYamlAndJson() {
    assertEquals(
        "curl -H \"X-Api-Key: ***\" https://x.io",
        Secrets.redact("curl -H \"X-Api-Key: abc123\" https://x.io"));
    assertEquals("password: ***", Secrets.redact("password: hunter2"));
    assertEquals("{\"api_key\":\"***\",\"n\":1}", Secrets.redact("{\"api_key\":\"abc\",\"n\":1}"));
  }

  @Test
  void bearerTokensAreRedactedWithOrWithoutTheHeaderName() {
    assertEquals(
        "curl -H \"Authorization: Bearer ***\" https://api.x.io/v1",
        Secrets.redact("curl -H \"Authorization: Bearer xxx\" https://api.x.io/v1"));
    assertEquals("Authorization: Basic ***", Secrets.redact("Authorization: Basic dXNlcjpwYXNz"));
    assertEquals("send Bearer ***", Secrets.redact("send Bearer eyJhbGciOi.J9.abc"));
    // a token of a known shape is masked once, keeping its prefix
    assertEquals(
        "curl -H 'Authorization: Bearer sk-***' https://x.io",
        Secrets.redact(
            "curl -H 'Authorization: Bearer sk-ant-secret123456789012345' https://x.io"));
    assertEquals("authorization: token ***", Secrets.redact("authorization: token abcdef"));
  }

  @Test
  void urlCredentialsAndSecretQueryParametersAreRedacted() {
    assertEquals(
        "git clone https://bob:***@git.example.com/r.git",
        Secrets.redact("git clone https://bob:s3cret@git.example.com/r.git"));
    assertEquals(
        "curl https://api.x.io/v1?token=***&x=1",
        Secrets.redact("curl https://api.x.io/v1?token=abc&x=1"));
    assertEquals(
        "https://x.io/cb?code=1&access_token=***&state=ok",
        Secrets.redact("https://x.io/cb?code=1&access_token=zz9&state=ok"));
  }

  @Test
  void wellKnownTokenShapesAreRedactedAnywhere() {
    assertEquals(
        "use sk-*** now", Secrets.redact("use sk-ant-api03-abcdefghijklmnopqrstuvwxyz now"));
    assertEquals("ghp_***", Secrets.redact("ghp_" + GITHUB));
    assertEquals("a gho_*** b", Secrets.redact("a gho_" + GITHUB + " b"));
    assertEquals("ghs_***", Secrets.redact("ghs_" + GITHUB));
    assertEquals("github_pat_***", Secrets.redact("github_pat_11ABCDEFG0_" + GITHUB));
    assertEquals(
        "xoxb-*** and xoxp-***",
        Secrets.redact("xoxb-1234-5678-abcdefgh and xoxp-99-88-abcdefghij"));
    assertEquals("aws AKIA*** key", Secrets.redact("aws AKIAOO3SB09GLSHV616M key"));
    assertEquals(
        "ict_laptop_*** ict_my_box_***",
        Secrets.redact("ict_laptop_0a1b2c3d4e5f6789 ict_my_box_deadbeef00"));
    assertEquals(
        "curl https://api.telegram.org/bot123456789:***/getMe",
        Secrets.redact("curl https://api.telegram.org/bot123456789:" + TELEGRAM + "/getMe"));
  }

  @Test
  void mysqlPasswordGluedToDashPIsRedacted() {
    assertEquals("mysql -u root -p*** shop", Secrets.redact("mysql -u root -ps3cret shop"));
    assertEquals("mysqldump -p*** db > d.sql", Secrets.redact("mysqldump -ppw db > d.sql"));
    assertEquals("mysql -u root -p shop", Secrets.redact("mysql -u root -p shop"));
  }

  @Test
  void curlUserPasswordIsRedacted() {
    assertEquals(
        "curl -u admin:*** https://x.io", Secrets.redact("curl -u admin:s3cret https://x.io"));
    assertEquals("curl -s --user 'bob:***' x", Secrets.redact("curl -s --user 'bob:pw' x"));
  }

  @Test
  void aKeyThatIsNotSecretDoesNotHideTheSecretAfterIt() {
    assertEquals(
        "kubectl create secret generic db --from-literal=password=***",
        Secrets.redact("kubectl create secret generic db --from-literal=password=abc"));
    assertEquals("config: {password: ***}", Secrets.redact("config: {password: abc12}"));
  }

  @Test
  void shellExpansionsAreNotSecretsAndStayReadable() {
    String command = "curl -H \"Authorization: Bearer $TOKEN\" --password \"$DB_PASS\" TOKEN=${T}";
    assertEquals(command, Secrets.redact(command));
  }

  @Test
  void redactingTwiceChangesNothingMore() {
    String once =
        Secrets.redact("GITHUB_TOKEN=ghp_" + GITHUB + " curl -H 'Authorization: Bearer x1'");
    assertEquals(once, Secrets.redact(once));
  }

  @ParameterizedTest
  @ValueSource(
      strings = {
        "mvn -q test",
        "git commit -m \"fix auth bug\"",
        "git commit -m \"auth: fix login\"",
        "ls -la /tmp/password-reset",
        "git log --author alice",
        "cat src/main/java/ai/intercom/security/LocalToken.java",
        "gh auth status",
        "docker login --password-stdin -u bob",
        "gh auth login --with-token < token.txt",
        "docker run -u 1000:1000 img",
        "GIT_AUTHOR_NAME=bob git commit",
        "cli --token-file /etc/app/token",
        "python train.py --max-tokens 1000 --tokenizer bpe",
        "PWD=/work/app make",
        "curl https://auth.example.com:8443/health",
        "task-runner sk-short",
        "echo 'Bearer token support'",
        "npm run build && echo done",
        ""
      })
  void ordinaryCommandsAreLeftAlone(String command) {
    assertEquals(command, Secrets.redact(command));
  }

  @Test
  void nullStaysNull() {
    assertNull(Secrets.redact(null));
  }
}

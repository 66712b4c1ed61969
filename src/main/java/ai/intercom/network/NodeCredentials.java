package ai.intercom.network;

import ai.intercom.config.Settings;
import ai.intercom.config.StartupException;
import ai.intercom.security.CertificateAuthority;
import ai.intercom.security.MachineTokens;
import ai.intercom.security.NodeKeys;
import ai.intercom.security.Pem;
import java.io.IOException;
import java.security.GeneralSecurityException;
import java.security.cert.X509Certificate;
import java.util.Optional;

/**
 * What a node needs before it may enter the cluster. A hub (or standalone node) is the network's
 * authority: it makes its CA and token key on first start and issues its own certificate. A daemon
 * needs the certificate the hub gave it at join; without one it does not start, and says how to get
 * one.
 */
public final class NodeCredentials {

  /** The hub's authority: its CA and the key its machines' tokens are made with. */
  public record Authority(CertificateAuthority ca, MachineTokens tokens) {}

  private NodeCredentials() {}

  /** Checks (a daemon) or makes (a hub) this node's credentials; the authority on hubs. */
  public static Optional<Authority> prepare(Settings settings) {
    NodeKeys keys = new NodeKeys(settings.tlsDir());
    try {
      if (!settings.mode().hostsEntities()) {
        if (!keys.complete()) {
          throw new StartupException(
              "this machine has not joined a network yet: run 'ai-intercom join --hub-url "
                  + (settings.hub().url().isBlank() ? "http://HUB:7700" : settings.hub().url())
                  + "' and have the hub's operator approve it");
        }
        return Optional.empty();
      }
      CertificateAuthority ca =
          CertificateAuthority.openOrCreate(settings.caDir(), settings.machine().id());
      MachineTokens tokens = MachineTokens.openOrCreate(settings.caDir().resolve("token.key"));
      if (!issuedBy(keys, ca, settings.machine().id())) {
        X509Certificate own =
            ca.issue(settings.machine().id(), keys.certificateRequest(settings.machine().id()));
        keys.store(Pem.certificate(own), Pem.certificate(ca.certificate()));
      }
      return Optional.of(new Authority(ca, tokens));
    } catch (IOException | RuntimeException e) {
      if (e instanceof StartupException startup) {
        throw startup;
      }
      throw new StartupException(
          "cannot prepare the cluster credentials in "
              + settings.home()
              + " (tls/, ca/): "
              + e.getMessage(),
          e);
    }
  }

  private static boolean issuedBy(NodeKeys keys, CertificateAuthority ca, String machineId)
      throws IOException {
    if (!keys.complete()) {
      return false;
    }
    X509Certificate cert = keys.certificate();
    try {
      cert.verify(ca.certificate().getPublicKey());
    } catch (GeneralSecurityException e) {
      return false;
    }
    return machineId.equals(CertificateAuthority.machineOf(cert))
        && cert.getPublicKey().equals(keys.pairOrCreate().getPublic())
        && keys.ca().equals(ca.certificate());
  }
}

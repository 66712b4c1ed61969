package ai.intercom.security;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyStore;
import java.security.SecureRandom;
import java.security.cert.CertificateException;
import java.security.cert.X509Certificate;
import java.util.Set;
import java.util.concurrent.atomic.AtomicReference;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.SSLSession;
import javax.net.ssl.TrustManager;
import javax.net.ssl.TrustManagerFactory;
import javax.net.ssl.X509ExtendedTrustManager;
import org.apache.pekko.actor.ActorSystem;
import org.apache.pekko.remote.artery.tcp.SSLEngineProvider;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import scala.Option;

/**
 * The cluster's transport security (Artery {@code tls-tcp}): TLS 1.3 with mutual authentication.
 * Each side shows the certificate the hub's CA issued for its machine and accepts only a peer whose
 * certificate that CA signed and whose serial is not in the revoked list; anything else fails the
 * handshake, before a single actor message. The revoked list ({@code tls/revoked}) is read again
 * whenever it changes. Host names are not checked: a certificate names a machine, not an address.
 *
 * <p>Pekko makes it from {@code pekko.remote.artery.ssl.ssl-engine-provider}; the directory of the
 * node's credentials is {@code pekko.remote.artery.ssl.intercom.dir}.
 */
public final class ClusterTls implements SSLEngineProvider {

  public static final String DIR_SETTING = "pekko.remote.artery.ssl.intercom.dir";

  private static final Logger log = LoggerFactory.getLogger(ClusterTls.class);
  private static final String PROTOCOL = "TLSv1.3";

  private final NodeKeys keys;
  private final SSLContext context;
  private final AtomicReference<Revoked> revoked =
      new AtomicReference<>(new Revoked(null, Set.of()));

  public ClusterTls(ActorSystem system) {
    this(new NodeKeys(Path.of(system.settings().config().getString(DIR_SETTING))));
  }

  public ClusterTls(NodeKeys keys) {
    this.keys = keys;
    try {
      this.context = context(keys);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read the cluster credentials in " + keys.dir(), e);
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException(
          "the cluster credentials in " + keys.dir() + " cannot be used: " + e.getMessage(), e);
    }
  }

  @Override
  public SSLEngine createServerSSLEngine(String hostname, int port) {
    SSLEngine engine = context.createSSLEngine();
    engine.setUseClientMode(false);
    engine.setNeedClientAuth(true);
    engine.setEnabledProtocols(new String[] {PROTOCOL});
    return engine;
  }

  @Override
  public SSLEngine createClientSSLEngine(String hostname, int port) {
    SSLEngine engine = context.createSSLEngine(hostname, port);
    engine.setUseClientMode(true);
    engine.setEnabledProtocols(new String[] {PROTOCOL});
    return engine;
  }

  @Override
  public Option<Throwable> verifyClientSession(String hostname, SSLSession session) {
    return Option.empty();
  }

  @Override
  public Option<Throwable> verifyServerSession(String hostname, SSLSession session) {
    return Option.empty();
  }

  private SSLContext context(NodeKeys keys) throws IOException, GeneralSecurityException {
    KeyPair pair = keys.pairOrCreate();
    X509Certificate own = keys.certificate();
    X509Certificate ca = keys.ca();
    if (!own.getPublicKey().equals(pair.getPublic())) {
      throw new GeneralSecurityException(
          "node.crt was not issued for node.key (join again: ai-intercom join)");
    }
    own.verify(ca.getPublicKey());
    char[] none = new char[0];
    KeyStore identity = KeyStore.getInstance("PKCS12");
    identity.load(null, none);
    identity.setKeyEntry("node", pair.getPrivate(), none, new X509Certificate[] {own, ca});
    KeyManagerFactory kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
    kmf.init(identity, none);

    KeyStore trusted = KeyStore.getInstance("PKCS12");
    trusted.load(null, none);
    trusted.setCertificateEntry("ca", ca);
    TrustManagerFactory tmf =
        TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
    tmf.init(trusted);
    X509ExtendedTrustManager chain = null;
    for (TrustManager tm : tmf.getTrustManagers()) {
      if (tm instanceof X509ExtendedTrustManager x) {
        chain = x;
      }
    }
    SSLContext ctx = SSLContext.getInstance(PROTOCOL);
    ctx.init(kmf.getKeyManagers(), new TrustManager[] {new NotRevoked(chain)}, new SecureRandom());
    return ctx;
  }

  /** The revoked serials as last read, and the file's time then. */
  private record Revoked(FileTime modified, Set<String> serials) {}

  private Set<String> revokedSerials() {
    Path file = keys.revokedFile();
    Revoked known = revoked.get();
    try {
      FileTime modified = Files.getLastModifiedTime(file);
      if (!modified.equals(known.modified())) {
        known = new Revoked(modified, Set.copyOf(keys.revoked()));
        revoked.set(known);
      }
    } catch (NoSuchFileException e) {
      return Set.of();
    } catch (IOException e) {
      log.warn("cannot read the revoked certificates in {}: {}", file, e.toString());
    }
    return known.serials();
  }

  private interface ChainCheck {
    void run() throws CertificateException;
  }

  /** The CA's chain check, then the revoked list. */
  private final class NotRevoked extends X509ExtendedTrustManager {

    private final X509ExtendedTrustManager chain;

    NotRevoked(X509ExtendedTrustManager chain) {
      this.chain = chain;
    }

    private void notRevoked(X509Certificate[] certs) throws CertificateException {
      X509Certificate peer = certs[0];
      if (revokedSerials().contains(CertificateAuthority.serialOf(peer))) {
        log.warn(
            "refused a cluster connection from machine {}: its certificate was revoked",
            CertificateAuthority.machineOf(peer));
        throw new CertificateException(
            "the certificate of machine " + CertificateAuthority.machineOf(peer) + " was revoked");
      }
    }

    /** The chain check, logged when it fails, then the revoked list. */
    private void check(X509Certificate[] certs, ChainCheck chainCheck) throws CertificateException {
      try {
        chainCheck.run();
      } catch (CertificateException e) {
        String who =
            certs == null || certs.length == 0
                ? "a peer without a certificate"
                : certs[0].getSubjectX500Principal().getName();
        log.warn("refused a cluster connection from {}: {}", who, e.getMessage());
        throw e;
      }
      notRevoked(certs);
    }

    @Override
    public void checkClientTrusted(X509Certificate[] certs, String auth, Socket socket)
        throws CertificateException {
      check(certs, () -> chain.checkClientTrusted(certs, auth, socket));
    }

    @Override
    public void checkServerTrusted(X509Certificate[] certs, String auth, Socket socket)
        throws CertificateException {
      check(certs, () -> chain.checkServerTrusted(certs, auth, socket));
    }

    @Override
    public void checkClientTrusted(X509Certificate[] certs, String auth, SSLEngine engine)
        throws CertificateException {
      check(certs, () -> chain.checkClientTrusted(certs, auth, engine));
    }

    @Override
    public void checkServerTrusted(X509Certificate[] certs, String auth, SSLEngine engine)
        throws CertificateException {
      check(certs, () -> chain.checkServerTrusted(certs, auth, engine));
    }

    @Override
    public void checkClientTrusted(X509Certificate[] certs, String auth)
        throws CertificateException {
      check(certs, () -> chain.checkClientTrusted(certs, auth));
    }

    @Override
    public void checkServerTrusted(X509Certificate[] certs, String auth)
        throws CertificateException {
      check(certs, () -> chain.checkServerTrusted(certs, auth));
    }

    @Override
    public X509Certificate[] getAcceptedIssuers() {
      return chain.getAcceptedIssuers();
    }
  }
}

package ai.intercom.security;

import java.io.IOException;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.PrivateKey;
import java.security.SecureRandom;
import java.security.cert.X509Certificate;
import java.security.spec.ECGenParameterSpec;
import java.time.Duration;
import java.time.Instant;
import java.util.Date;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x500.style.BCStyle;
import org.bouncycastle.asn1.x500.style.IETFUtils;
import org.bouncycastle.asn1.x509.BasicConstraints;
import org.bouncycastle.asn1.x509.ExtendedKeyUsage;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.KeyPurposeId;
import org.bouncycastle.asn1.x509.KeyUsage;
import org.bouncycastle.cert.X509CertificateHolder;
import org.bouncycastle.cert.X509v3CertificateBuilder;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.operator.ContentSigner;
import org.bouncycastle.operator.OperatorCreationException;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;
import org.bouncycastle.operator.jcajce.JcaContentVerifierProviderBuilder;
import org.bouncycastle.pkcs.PKCS10CertificationRequest;
import org.bouncycastle.pkcs.PKCSException;

/**
 * The network's certificate authority, on the hub only: its key ({@code ca/ca.key}, 0600) never
 * leaves the hub. It signs the cluster certificate of each admitted machine from that machine's
 * certificate request, so a machine's private key never leaves the machine either.
 */
public final class CertificateAuthority {

  /** How long a machine's certificate is valid. */
  static final Duration MACHINE_VALIDITY = Duration.ofDays(5 * 365);

  private static final Duration CA_VALIDITY = Duration.ofDays(20 * 365);
  private static final SecureRandom RANDOM = new SecureRandom();
  private static final String SIGNATURE = "SHA256withECDSA";

  private final PrivateKey key;
  private final X509Certificate certificate;

  private CertificateAuthority(PrivateKey key, X509Certificate certificate) {
    this.key = key;
    this.certificate = certificate;
  }

  /** The authority kept in {@code dir}, created there on first use for the network {@code name}. */
  public static CertificateAuthority openOrCreate(Path dir, String name) throws IOException {
    Path keyFile = dir.resolve("ca.key");
    Path certFile = dir.resolve("ca.crt");
    if (Files.isRegularFile(keyFile) && Files.isRegularFile(certFile)) {
      return new CertificateAuthority(
          Pem.privateKey(Files.readString(keyFile)),
          Pem.certificates(Files.readString(certFile)).get(0));
    }
    KeyPair pair = NodeKeys.generatePair();
    X500Name subject = new X500Name("CN=ai-intercom CA " + name);
    Instant now = Instant.now();
    try {
      X509v3CertificateBuilder builder =
          new JcaX509v3CertificateBuilder(
                  subject,
                  serial(),
                  Date.from(now.minus(Duration.ofMinutes(5))),
                  Date.from(now.plus(CA_VALIDITY)),
                  subject,
                  pair.getPublic())
              .addExtension(Extension.basicConstraints, true, new BasicConstraints(0))
              .addExtension(
                  Extension.keyUsage, true, new KeyUsage(KeyUsage.keyCertSign | KeyUsage.cRLSign));
      X509Certificate cert = convert(builder.build(signer(pair.getPrivate())));
      PrivateFiles.writeSecret(
          keyFile, Pem.privateKey(pair.getPrivate()).getBytes(StandardCharsets.US_ASCII));
      PrivateFiles.writePublic(certFile, Pem.certificate(cert).getBytes(StandardCharsets.US_ASCII));
      return new CertificateAuthority(pair.getPrivate(), cert);
    } catch (GeneralSecurityException | OperatorCreationException e) {
      throw new IllegalStateException("cannot create the certificate authority: " + e, e);
    }
  }

  public X509Certificate certificate() {
    return certificate;
  }

  /**
   * The certificate of {@code machineId} for the key in {@code csrPem}; refused when the request is
   * not signed by its own key or names another machine.
   */
  public X509Certificate issue(String machineId, String csrPem) {
    PKCS10CertificationRequest csr = checkRequest(machineId, csrPem);
    Instant now = Instant.now();
    try {
      X509v3CertificateBuilder builder =
          new X509v3CertificateBuilder(
                  new X500Name(certificate.getSubjectX500Principal().getName()),
                  serial(),
                  Date.from(now.minus(Duration.ofMinutes(5))),
                  Date.from(now.plus(MACHINE_VALIDITY)),
                  new X500Name("CN=" + machineId),
                  csr.getSubjectPublicKeyInfo())
              .addExtension(Extension.basicConstraints, true, new BasicConstraints(false))
              .addExtension(
                  Extension.keyUsage,
                  true,
                  new KeyUsage(KeyUsage.digitalSignature | KeyUsage.keyAgreement))
              .addExtension(
                  Extension.extendedKeyUsage,
                  false,
                  new ExtendedKeyUsage(
                      new KeyPurposeId[] {
                        KeyPurposeId.id_kp_serverAuth, KeyPurposeId.id_kp_clientAuth
                      }));
      return convert(builder.build(signer(key)));
    } catch (GeneralSecurityException | OperatorCreationException | IOException e) {
      throw new IllegalStateException("cannot sign the certificate of " + machineId + ": " + e, e);
    }
  }

  /**
   * The request in {@code csrPem} if it is a PKCS#10 request signed by its own key for {@code
   * machineId}; fails with the sentence that says what is wrong.
   */
  public static PKCS10CertificationRequest checkRequest(String machineId, String csrPem) {
    PKCS10CertificationRequest csr;
    try {
      csr = new PKCS10CertificationRequest(Pem.block(csrPem, "CERTIFICATE REQUEST"));
    } catch (IOException | RuntimeException e) {
      throw new IllegalArgumentException("the certificate request is not a PKCS#10 request", e);
    }
    try {
      java.security.PublicKey key =
          java.security.KeyFactory.getInstance("EC")
              .generatePublic(
                  new java.security.spec.X509EncodedKeySpec(
                      csr.getSubjectPublicKeyInfo().getEncoded()));
      if (!csr.isSignatureValid(new JcaContentVerifierProviderBuilder().build(key))) {
        throw new IllegalArgumentException("the certificate request's signature does not verify");
      }
    } catch (OperatorCreationException | PKCSException | GeneralSecurityException | IOException e) {
      throw new IllegalArgumentException("the certificate request's signature does not verify", e);
    }
    String named = commonName(csr.getSubject());
    if (!machineId.equals(named)) {
      throw new IllegalArgumentException(
          "the certificate request names '" + named + "', not machine " + machineId);
    }
    return csr;
  }

  /** The machine a certificate was issued to (its subject's common name). */
  public static String machineOf(X509Certificate cert) {
    return commonName(new X500Name(cert.getSubjectX500Principal().getName()));
  }

  /** A serial as the certificate lists carry it: lower-case hex. */
  public static String serialOf(X509Certificate cert) {
    return cert.getSerialNumber().toString(16);
  }

  private static String commonName(X500Name name) {
    var cns = name.getRDNs(BCStyle.CN);
    return cns.length == 0 ? "" : IETFUtils.valueToString(cns[0].getFirst().getValue());
  }

  private static BigInteger serial() {
    return new BigInteger(127, RANDOM).add(BigInteger.ONE);
  }

  private static ContentSigner signer(PrivateKey key) throws OperatorCreationException {
    return new JcaContentSignerBuilder(SIGNATURE).build(key);
  }

  private static X509Certificate convert(X509CertificateHolder holder)
      throws GeneralSecurityException {
    return new JcaX509CertificateConverter().getCertificate(holder);
  }

  static ECGenParameterSpec curve() {
    return new ECGenParameterSpec("secp256r1");
  }

  static KeyPairGenerator generator() throws GeneralSecurityException {
    KeyPairGenerator generator = KeyPairGenerator.getInstance("EC");
    generator.initialize(curve(), RANDOM);
    return generator;
  }
}

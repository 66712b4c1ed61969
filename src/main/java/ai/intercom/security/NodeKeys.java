package ai.intercom.security;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.cert.X509Certificate;
import java.util.List;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.operator.OperatorCreationException;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;
import org.bouncycastle.pkcs.jcajce.JcaPKCS10CertificationRequestBuilder;

/**
 * A node's cluster credentials in {@code tls/} of its home: its private key ({@code node.key},
 * 0600, made on this machine and never sent anywhere), the certificate the hub issued for it
 * ({@code node.crt}), the network's CA certificate ({@code ca.crt}) and the serials the hub revoked
 * ({@code revoked}).
 */
public record NodeKeys(Path dir) {

  public Path keyFile() {
    return dir.resolve("node.key");
  }

  public Path certificateFile() {
    return dir.resolve("node.crt");
  }

  public Path caFile() {
    return dir.resolve("ca.crt");
  }

  public Path revokedFile() {
    return dir.resolve("revoked");
  }

  /** Whether this node holds a key, its certificate and the CA's. */
  public boolean complete() {
    return Files.isRegularFile(keyFile())
        && Files.isRegularFile(certificateFile())
        && Files.isRegularFile(caFile());
  }

  public Path publicKeyFile() {
    return dir.resolve("node.pub");
  }

  /** The key pair, made now if this node has none yet. */
  public KeyPair pairOrCreate() throws IOException {
    if (Files.isRegularFile(keyFile()) && Files.isRegularFile(publicKeyFile())) {
      return new KeyPair(
          Pem.publicKey(Files.readString(publicKeyFile())),
          Pem.privateKey(Files.readString(keyFile())));
    }
    KeyPair pair = generatePair();
    PrivateFiles.writeSecret(
        keyFile(), Pem.privateKey(pair.getPrivate()).getBytes(StandardCharsets.US_ASCII));
    PrivateFiles.writePublic(
        publicKeyFile(),
        Pem.encode("PUBLIC KEY", pair.getPublic().getEncoded())
            .getBytes(StandardCharsets.US_ASCII));
    return pair;
  }

  /** A PKCS#10 request, signed with this node's key, for a certificate naming {@code machineId}. */
  public String certificateRequest(String machineId) throws IOException {
    KeyPair pair = pairOrCreate();
    try {
      var request =
          new JcaPKCS10CertificationRequestBuilder(
                  new X500Name("CN=" + machineId), pair.getPublic())
              .build(new JcaContentSignerBuilder("SHA256withECDSA").build(pair.getPrivate()));
      return Pem.encode("CERTIFICATE REQUEST", request.getEncoded());
    } catch (OperatorCreationException e) {
      throw new IllegalStateException("cannot make a certificate request: " + e, e);
    }
  }

  /** Keeps what the hub issued: this node's certificate and the CA's. */
  public void store(String certificatePem, String caPem) throws IOException {
    List<X509Certificate> cert = Pem.certificates(certificatePem);
    Pem.certificates(caPem);
    PrivateFiles.writePublic(caFile(), caPem.getBytes(StandardCharsets.US_ASCII));
    PrivateFiles.writePublic(
        certificateFile(), Pem.certificate(cert.get(0)).getBytes(StandardCharsets.US_ASCII));
  }

  public X509Certificate certificate() throws IOException {
    return Pem.certificates(Files.readString(certificateFile())).get(0);
  }

  public X509Certificate ca() throws IOException {
    return Pem.certificates(Files.readString(caFile())).get(0);
  }

  /** The serials the hub revoked, as this node last heard them. */
  public List<String> revoked() throws IOException {
    if (!Files.isRegularFile(revokedFile())) {
      return List.of();
    }
    return Files.readAllLines(revokedFile()).stream()
        .map(String::trim)
        .filter(line -> !line.isEmpty())
        .toList();
  }

  public void storeRevoked(java.util.Collection<String> serials) throws IOException {
    PrivateFiles.writePublic(
        revokedFile(),
        serials.stream()
            .sorted()
            .reduce(new StringBuilder(), (b, s) -> b.append(s).append('\n'), StringBuilder::append)
            .toString()
            .getBytes(StandardCharsets.US_ASCII));
  }

  static KeyPair generatePair() {
    try {
      return CertificateAuthority.generator().generateKeyPair();
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("cannot make an EC key pair: " + e, e);
    }
  }
}

package ai.intercom.security;

import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.security.spec.PKCS8EncodedKeySpec;
import java.security.spec.X509EncodedKeySpec;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** PEM text of certificates, certificate requests and PKCS#8 private keys, read with the JDK. */
public final class Pem {

  private static final Pattern BLOCK =
      Pattern.compile("-----BEGIN ([A-Z0-9 ]+)-----([A-Za-z0-9+/=\\s]+)-----END \\1-----");

  private Pem() {}

  public static String encode(String type, byte[] der) {
    String body =
        Base64.getMimeEncoder(64, "\n".getBytes(StandardCharsets.US_ASCII)).encodeToString(der);
    return "-----BEGIN " + type + "-----\n" + body + "\n-----END " + type + "-----\n";
  }

  /** The DER bytes of each block of {@code type} in {@code text}, in order. */
  public static List<byte[]> blocks(String text, String type) {
    List<byte[]> found = new ArrayList<>();
    Matcher m = BLOCK.matcher(text == null ? "" : text);
    while (m.find()) {
      if (m.group(1).equals(type)) {
        found.add(Base64.getMimeDecoder().decode(m.group(2)));
      }
    }
    return found;
  }

  /** The first block of {@code type}; fails with a sentence naming what is missing. */
  public static byte[] block(String text, String type) {
    List<byte[]> found = blocks(text, type);
    if (found.isEmpty()) {
      throw new IllegalArgumentException("no PEM block '" + type + "' found");
    }
    return found.get(0);
  }

  public static String certificate(X509Certificate cert) {
    try {
      return encode("CERTIFICATE", cert.getEncoded());
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException(e);
    }
  }

  public static List<X509Certificate> certificates(String text) {
    try {
      CertificateFactory factory = CertificateFactory.getInstance("X.509");
      List<X509Certificate> certs = new ArrayList<>();
      for (byte[] der : blocks(text, "CERTIFICATE")) {
        certs.add((X509Certificate) factory.generateCertificate(new ByteArrayInputStream(der)));
      }
      if (certs.isEmpty()) {
        throw new IllegalArgumentException("no PEM block 'CERTIFICATE' found");
      }
      return certs;
    } catch (GeneralSecurityException e) {
      throw new IllegalArgumentException("not a certificate: " + e.getMessage(), e);
    }
  }

  public static String privateKey(PrivateKey key) {
    return encode("PRIVATE KEY", key.getEncoded());
  }

  /** An EC public key ({@code PUBLIC KEY}, X.509 SubjectPublicKeyInfo). */
  public static PublicKey publicKey(String text) {
    try {
      return KeyFactory.getInstance("EC")
          .generatePublic(new X509EncodedKeySpec(block(text, "PUBLIC KEY")));
    } catch (GeneralSecurityException e) {
      throw new IllegalArgumentException("not an EC public key: " + e.getMessage(), e);
    }
  }

  /** An EC private key in PKCS#8 ({@code PRIVATE KEY}). */
  public static PrivateKey privateKey(String text) {
    try {
      return KeyFactory.getInstance("EC")
          .generatePrivate(new PKCS8EncodedKeySpec(block(text, "PRIVATE KEY")));
    } catch (GeneralSecurityException e) {
      throw new IllegalArgumentException("not an EC private key: " + e.getMessage(), e);
    }
  }
}

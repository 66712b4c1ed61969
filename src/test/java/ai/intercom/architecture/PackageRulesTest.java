package ai.intercom.architecture;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;
import static com.tngtech.archunit.library.dependencies.SlicesRuleDefinition.slices;

import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The house: which of our packages each package may import (the table of the README's Layout
 * section). Arrows point from the edges inward and down; {@code app} wires everything and nothing
 * imports it. A failure names the offending class, what it uses and where.
 */
class PackageRulesTest {

  private static final String ROOT = "ai.intercom";

  /** Package -> the packages of ours it may import (besides itself). */
  static final Map<String, List<String>> MAY_IMPORT = new LinkedHashMap<>();

  static {
    MAY_IMPORT.put("protocol", List.of());
    MAY_IMPORT.put("config", List.of("protocol"));
    MAY_IMPORT.put("cluster", List.of("protocol", "config"));
    MAY_IMPORT.put("security", List.of("protocol", "config"));
    MAY_IMPORT.put("persistence", List.of("protocol", "config"));
    MAY_IMPORT.put("registry", List.of("protocol", "cluster"));
    MAY_IMPORT.put("approval", List.of("protocol", "cluster", "registry", "security"));
    MAY_IMPORT.put("daemon", List.of("protocol", "cluster", "config", "registry"));
    MAY_IMPORT.put(
        "mission",
        List.of(
            "protocol", "cluster", "security", "persistence", "registry", "approval", "daemon"));
    MAY_IMPORT.put(
        "launcher",
        List.of("protocol", "cluster", "config", "security", "registry", "daemon", "mission"));
    MAY_IMPORT.put("network", List.of("protocol", "cluster", "config", "security", "registry"));
    MAY_IMPORT.put("directory", List.of("protocol", "cluster", "registry", "daemon"));
    MAY_IMPORT.put("client", List.of("protocol", "config", "security"));
    MAY_IMPORT.put(
        "http",
        List.of(
            "protocol",
            "cluster",
            "config",
            "security",
            "registry",
            "approval",
            "daemon",
            "mission",
            "directory",
            "network"));
    MAY_IMPORT.put(
        "telegram",
        List.of(
            "protocol",
            "cluster",
            "config",
            "security",
            "registry",
            "approval",
            "mission",
            "directory",
            "network"));
    MAY_IMPORT.put("cli", List.of("protocol", "config", "client"));
    MAY_IMPORT.put("mcp", List.of("protocol", "config", "client"));
    MAY_IMPORT.put("install", List.of("protocol", "config", "security"));
    MAY_IMPORT.put("app", List.copyOf(MAY_IMPORT.keySet()));
  }

  private static final JavaClasses CLASSES =
      new ClassFileImporter()
          .withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS)
          .importPackages(ROOT);

  static Stream<String> packages() {
    return MAY_IMPORT.keySet().stream();
  }

  @ParameterizedTest(name = "{0} imports only what the table allows")
  @MethodSource("packages")
  void aPackageImportsOnlyWhatTheTableAllows(String pkg) {
    Set<String> forbidden = new TreeSet<>(MAY_IMPORT.keySet());
    forbidden.remove(pkg);
    forbidden.removeAll(MAY_IMPORT.get(pkg));
    if (forbidden.isEmpty()) {
      return;
    }
    noClasses()
        .that()
        .resideInAPackage(ROOT + "." + pkg + "..")
        .should()
        .dependOnClassesThat()
        .resideInAnyPackage(
            forbidden.stream().map(p -> ROOT + "." + p + "..").toArray(String[]::new))
        .because(pkg + " may import only " + MAY_IMPORT.get(pkg) + " (README, Layout)")
        .check(CLASSES);
  }

  @Test
  void everyPackageIsInTheTable() {
    Set<String> found = new TreeSet<>();
    CLASSES.forEach(
        c -> {
          String rest = c.getPackageName().substring(ROOT.length());
          if (!rest.isEmpty()) {
            found.add(rest.substring(1).split("\\.")[0]);
          }
        });
    found.removeAll(MAY_IMPORT.keySet());
    if (!found.isEmpty()) {
      throw new AssertionError("packages missing from the table of allowed imports: " + found);
    }
  }

  @Test
  void nothingImportsTheCompositionRoot() {
    noClasses()
        .that()
        .resideOutsideOfPackage(ROOT + ".app..")
        .should()
        .dependOnClassesThat()
        .resideInAPackage(ROOT + ".app..")
        .check(CLASSES);
  }

  @Test
  void thePackagesFormNoCircle() {
    slices().matching(ROOT + ".(*)..").should().beFreeOfCycles().check(CLASSES);
  }
}

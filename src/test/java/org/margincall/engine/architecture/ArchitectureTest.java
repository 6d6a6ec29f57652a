package org.margincall.engine.architecture;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;
import static org.assertj.core.api.Assertions.assertThat;

import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import com.tngtech.archunit.lang.ArchRule;
import java.nio.file.Path;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The house rules: a pure domain, thin handlers, and a Lambda package that cannot reach the local
 * tooling. Checked on the compiled production classes ({@code target/classes}, what function.zip
 * ships); each rule is also shown failing on classes that break it.
 */
class ArchitectureTest {
    private static final String ENGINE = "org.margincall.engine";
    private static JavaClasses lambdaPackage;

    @BeforeAll
    static void importProductionClasses() {
        lambdaPackage = new ClassFileImporter().withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS)
                .importPath(Path.of("target/classes"));
        assertThat(lambdaPackage.containPackage(ENGINE + ".domain")).as("production classes found").isTrue();
    }

    /** The domain imports nothing from AWS, Quarkus, Jakarta, Jackson or logging: records and functions. */
    static final ArchRule DOMAIN_IS_PURE = noClasses().that().resideInAPackage(ENGINE + ".domain..")
            .should().dependOnClassesThat().resideInAnyPackage("software.amazon..", "com.amazonaws..", "io.quarkus..",
                    "jakarta..", "javax.enterprise..", "com.fasterxml..", "org.jboss..", "io.smallrye..",
                    ENGINE + ".service..", ENGINE + ".adapter..", ENGINE + ".handler..", ENGINE + ".config..")
            .as("the domain imports nothing from AWS, Quarkus, Jakarta or the engine's outer layers");

    /** Handlers parse, call the service, map the result: they never reach an adapter. */
    static final ArchRule HANDLERS_SKIP_ADAPTERS = noClasses().that().resideInAPackage(ENGINE + ".handler..")
            .should().dependOnClassesThat().resideInAPackage(ENGINE + ".adapter..")
            .as("handlers do not import adapters");

    /** The service talks to ports it owns, not to AWS or to the adapters implementing them. */
    static final ArchRule SERVICE_OWNS_ITS_PORTS = noClasses().that().resideInAPackage(ENGINE + ".service..")
            .should().dependOnClassesThat().resideInAnyPackage(ENGINE + ".adapter..", ENGINE + ".handler..",
                    "software.amazon..")
            .as("the service depends on its ports, not on adapters or the AWS SDK");

    /** Nothing in the Lambda package names the local tooling (it is not even on its classpath). */
    static final ArchRule NO_TOOLING = noClasses().should().dependOnClassesThat()
            .resideInAnyPackage(ENGINE + ".local..", ENGINE + ".replay..", ENGINE + ".scenario..")
            .as("nothing in the Lambda package imports the local tooling");

    @Test
    void theDomainIsPure() {
        DOMAIN_IS_PURE.check(lambdaPackage);
    }

    @Test
    void handlersDoNotImportAdapters() {
        HANDLERS_SKIP_ADAPTERS.check(lambdaPackage);
    }

    @Test
    void theServiceOwnsItsPorts() {
        SERVICE_OWNS_ITS_PORTS.check(lambdaPackage);
    }

    @Test
    void theLambdaPackageHoldsNoLocalTooling() {
        NO_TOOLING.check(lambdaPackage);
        assertThat(lambdaPackage.stream().map(c -> c.getPackageName()))
                .noneMatch(p -> p.startsWith(ENGINE + ".local") || p.startsWith(ENGINE + ".replay")
                        || p.startsWith(ENGINE + ".scenario"));
    }

    /** Each rule fails on a class that breaks it (the {@code archfixture} classes of the test tree). */
    @Test
    void everyRuleFailsOnClassesThatBreakIt() {
        ClassFileImporter importer = new ClassFileImporter();
        assertThat(DOMAIN_IS_PURE.evaluate(importer.importClasses(
                org.margincall.engine.domain.archfixture.DomainLeak.class)).hasViolation()).isTrue();
        assertThat(HANDLERS_SKIP_ADAPTERS.evaluate(importer.importClasses(
                org.margincall.engine.handler.archfixture.HandlerLeak.class)).hasViolation()).isTrue();
        assertThat(SERVICE_OWNS_ITS_PORTS.evaluate(importer.importClasses(
                org.margincall.engine.service.archfixture.ServiceLeak.class)).hasViolation()).isTrue();
        assertThat(NO_TOOLING.evaluate(importer.importClasses(ToolingLeak.class)).hasViolation()).isTrue();
    }
}

package io.icws.it.boot;

import org.springframework.boot.SpringApplication;
import org.springframework.boot.autoconfigure.SpringBootApplication;

/**
 * A team's Spring Boot application running the ICWS license routes: profile {@code java-dsl}
 * ({@link JavaDslRoutes}) or {@code yaml-dsl} ({@link YamlDslRoutes} and {@code application-yaml-dsl.properties}).
 * The server and the password come from outside: {@code ICWS_SERVER}, {@code ICWS_PASSWORD} (or
 * {@code icws.password-file}).
 */
@SpringBootApplication
public class HostApplication {

    public static void main(String[] args) {
        SpringApplication.run(HostApplication.class, args);
    }
}

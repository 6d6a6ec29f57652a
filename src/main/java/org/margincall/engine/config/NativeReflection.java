package org.margincall.engine.config;

import io.quarkus.runtime.annotations.RegisterForReflection;
import org.margincall.engine.domain.Notification;

/**
 * Classes Jackson reads or writes by reflection that live in the framework-free domain, which
 * must not carry Quarkus annotations itself. Without this a native build would publish empty
 * notification bodies.
 */
@RegisterForReflection(targets = {Notification.class, Notification.PositionLine.class, Notification.TriggerLine.class})
public final class NativeReflection {
    private NativeReflection() {
    }
}

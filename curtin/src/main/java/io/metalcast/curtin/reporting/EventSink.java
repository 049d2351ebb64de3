package io.metalcast.curtin.reporting;

import io.metalcast.curtin.event.InstallEvent;

/** Somewhere install events go. Implementations never throw: a reporting failure must not hide the install result. */
@FunctionalInterface
public interface EventSink {
    void report(InstallEvent event);
}

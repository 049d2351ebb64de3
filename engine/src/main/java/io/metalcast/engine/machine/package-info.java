/** Machines: MAAS states, enlistment, deployment, install events and deploy timeouts. */
package io.metalcast.engine.machine;

/** The running lab: network namespace, engine process, QEMU machines, serial consoles, and the deploy flow that ties them. */
package io.metalcast.testbed.lab;

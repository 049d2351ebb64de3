/** Curtin install events as posted to the reporting webhook. */
package io.metalcast.curtin.event;

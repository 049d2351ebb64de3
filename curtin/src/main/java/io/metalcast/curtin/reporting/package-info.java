/** Posting curtin install events to webhook reporters (MAAS's status endpoint), with OAuth PLAINTEXT signing. */
package io.metalcast.curtin.reporting;

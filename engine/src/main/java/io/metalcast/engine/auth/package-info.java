/** API keys and the MAAS OAuth 1.0 PLAINTEXT check of requests signed with them. */
package io.metalcast.engine.auth;

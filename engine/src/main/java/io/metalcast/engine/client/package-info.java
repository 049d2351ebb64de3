/** ./metalcast as a MAAS API client with the maas CLI's syntax: login, boot resources (chunked, resumable upload), machines. */
package io.metalcast.engine.client;

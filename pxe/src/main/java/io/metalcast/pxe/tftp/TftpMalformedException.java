package io.metalcast.pxe.tftp;

/** A TFTP request that cannot be decoded; the server answers it with ERROR 4 (illegal operation). */
public final class TftpMalformedException extends Exception {
    public TftpMalformedException(String message) {
        super(message);
    }
}

import ssh2 from 'ssh2';

const { utils } = ssh2;

/** An ed25519 key pair in OpenSSH format. */
export interface KeyPair {
  private: string;
  public: string;
}

/**
 * An ed25519 key pair that ssh2 itself can read back. ssh2 1.17's generator strips leading
 * zero bytes of the public key, so about 1 key in 256 comes out malformed
 * (mscdex/ssh2#1390, #1513); such a pair is thrown away and drawn again.
 */
export function generateEd25519(comment: string): KeyPair {
  for (let attempt = 0; attempt < 50; attempt++) {
    const pair = utils.generateKeyPairSync('ed25519', { comment });
    if (
      !(utils.parseKey(pair.private) instanceof Error) &&
      !(utils.parseKey(pair.public) instanceof Error)
    ) {
      return pair;
    }
  }
  throw new Error('could not generate a readable ed25519 key pair');
}

declare module 'cluster-key-slot' {
  /** Redis Cluster hash slot of a key (CRC16 of the key or of its first non-empty {hash tag}, mod 16384). */
  function generate(key: string | Buffer): number;
  namespace generate {
    function generateMulti(keys: Array<string | Buffer>): number;
  }
  export default generate;
}

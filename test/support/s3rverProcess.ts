/**
 * Runs s3rver (a fake S3 server) in a process of its own: s3rver encrypts ListObjectsV2 continuation tokens with
 * DES, which Node's OpenSSL 3 offers only under --openssl-legacy-provider (else every truncated page is a 500), and
 * that flag cannot be turned on inside a running test worker. Started by test/support/localS3.ts.
 *
 * Usage: node --openssl-legacy-provider --import tsx test/support/s3rverProcess.ts DIRECTORY
 * Prints {"port":N} on one line once listening on 127.0.0.1; closes the server and exits when stdin ends.
 */
import S3rver from 's3rver';

const directory = process.argv[2];
if (directory === undefined) throw new Error('usage: s3rverProcess.ts DIRECTORY');

const server = new S3rver({ address: '127.0.0.1', port: 0, silent: true, directory });
const { port } = await server.run();
process.stdout.write(`${JSON.stringify({ port })}\n`);

process.stdin.resume();
process.stdin.on('end', () => {
  void server.close().finally(() => process.exit(0));
});

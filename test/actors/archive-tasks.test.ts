// The pack-archive and unpack-archive tasks on real files: archives checked with the system tar and
// sha256sum, round trips, and hostile archives built here byte by byte (tar headers from the `tar`
// package) that must be refused without anything written outside the destination.

import { strict as assert } from 'node:assert';
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { lstat, mkdir, mkdtemp, readdir, readFile, readlink, rm, stat, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import { Header, type HeaderData } from 'tar';
import { archiveErrorCode, packArchive, unpackArchive } from '../../src/actors/archive-tasks.ts';
import runTask from '../../src/actors/tasks.ts';

async function rejection(promise: Promise<unknown>): Promise<Error & { code?: unknown; cause?: unknown }> {
  try {
    await promise;
  } catch (error) {
    assert.ok(error instanceof Error);
    return error;
  }
  return assert.fail('expected the promise to reject');
}

/** One raw tar entry: a 512-byte header and its body padded to a whole block. */
function rawEntry(data: HeaderData, body: Buffer = Buffer.alloc(0)): Buffer {
  const header = new Header({ mode: 0o644, mtime: new Date(0), uid: 0, gid: 0, size: body.length, ...data });
  header.encode();
  assert.ok(header.block);
  const padding = Buffer.alloc((512 - (body.length % 512)) % 512);
  return Buffer.concat([header.block, body, padding]);
}

/** A .tar.gz of raw entries, ended by the two zero blocks. */
async function rawArchive(file: string, entries: readonly Buffer[]): Promise<string> {
  await writeFile(file, gzipSync(Buffer.concat([...entries, Buffer.alloc(1024)])));
  return file;
}

/** Every path under `dir`, relative, sorted (directories with a trailing slash). */
async function tree(dir: string): Promise<string[]> {
  const found = await readdir(dir, { recursive: true, withFileTypes: true });
  return found
    .map((entry) => {
      const relative = path.relative(dir, path.join(entry.parentPath, entry.name));
      return entry.isDirectory() ? `${relative}/` : relative;
    })
    .sort();
}

describe('actors/archive-tasks', () => {
  let dir: string;
  let source: string;
  const nestedBlob = randomBytes(300 * 1024 + 17);

  beforeEach(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'gravity-archive-'));
    source = path.join(dir, 'source');
    await mkdir(path.join(source, 'nested', 'deeper'), { recursive: true });
    await writeFile(path.join(source, 'a.txt'), 'alpha\n');
    await writeFile(path.join(source, 'nested', 'blob.bin'), nestedBlob);
    await writeFile(path.join(source, 'nested', 'deeper', 'c.txt'), 'gamma\n');
    await symlink('nested/blob.bin', path.join(source, 'link'));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  describe('pack-archive', () => {
    it('writes a .tar.gz of the whole directory, mode 0600, with the sha256 and size of the file', async () => {
      const destination = path.join(dir, 'out', 'state.tar.gz');
      await mkdir(path.dirname(destination));
      const result = await packArchive({ sourceDir: source, destination });

      const listed = execFileSync('tar', ['-tzf', destination], { encoding: 'utf8' }).trim().split('\n').sort();
      assert.deepEqual(listed, ['a.txt', 'link', 'nested/', 'nested/blob.bin', 'nested/deeper/', 'nested/deeper/c.txt']);
      assert.equal(result.entries, listed.length);
      const verbose = execFileSync('tar', ['-tvzf', destination], { encoding: 'utf8' });
      assert.match(verbose, /^l.* link -> nested\/blob\.bin$/m, 'the symlink is stored as a link');

      const sha256sum = execFileSync('sha256sum', [destination], { encoding: 'utf8' }).split(' ')[0];
      assert.equal(result.sha256, sha256sum);
      const stats = await stat(destination);
      assert.equal(result.bytes, stats.size);
      assert.equal(stats.mode & 0o777, 0o600);
      assert.equal(result.destination, destination);
      assert.deepEqual(await readdir(path.dirname(destination)), ['state.tar.gz'], 'no .partial left');
    });

    it('packs only the listed files, and runs through the task dispatcher', async () => {
      const destination = path.join(dir, 'part.tgz');
      const result = (await runTask({ name: 'pack-archive', input: { sourceDir: source, files: ['nested/deeper', 'a.txt'], destination } })) as {
        entries: number;
      };
      const listed = execFileSync('tar', ['-tzf', destination], { encoding: 'utf8' }).trim().split('\n').sort();
      assert.deepEqual(listed, ['a.txt', 'nested/deeper/', 'nested/deeper/c.txt']);
      assert.equal(result.entries, 3);
    });

    it('packs an empty directory, and a file whose name starts with @ as a plain file', async () => {
      const empty = path.join(dir, 'empty');
      await mkdir(empty);
      const none = await packArchive({ sourceDir: empty, destination: path.join(dir, 'empty.tar.gz') });
      assert.equal(none.entries, 0);
      assert.equal(execFileSync('tar', ['-tzf', path.join(dir, 'empty.tar.gz')], { encoding: 'utf8' }), '');

      await writeFile(path.join(source, '@a.txt'), 'at\n');
      const result = await packArchive({ sourceDir: source, files: ['@a.txt'], destination: path.join(dir, 'at.tar.gz') });
      assert.equal(result.entries, 1);
      assert.equal(execFileSync('tar', ['-xzOf', path.join(dir, 'at.tar.gz'), '@a.txt'], { encoding: 'utf8' }), 'at\n');
    });

    it('refuses a destination inside the source, a missing source, and a listed path that leaves the source', async () => {
      const inside = await rejection(packArchive({ sourceDir: source, destination: path.join(source, 'nested', 'self.tar.gz') }));
      assert.equal(inside.code, archiveErrorCode.input);
      assert.match(inside.message, /inside the source/);
      assert.ok(!existsSync(path.join(source, 'nested', 'self.tar.gz.partial')));
      assert.ok(!existsSync(path.join(source, 'nested', 'self.tar.gz')));

      const missing = await rejection(packArchive({ sourceDir: path.join(dir, 'nowhere'), destination: path.join(dir, 'x.tar.gz') }));
      assert.equal(missing.code, archiveErrorCode.input);

      const escaping = await rejection(packArchive({ sourceDir: source, files: ['../outside'], destination: path.join(dir, 'x.tar.gz') }));
      assert.equal(escaping.code, archiveErrorCode.input);

      const absent = await rejection(packArchive({ sourceDir: source, files: ['not-there'], destination: path.join(dir, 'x.tar.gz') }));
      assert.equal(absent.code, 'ENOENT');
      assert.deepEqual((await readdir(dir)).sort(), ['source'], 'neither an archive nor a .partial file');
    });

    it('a failure through the dispatcher keeps its code in the cause', async () => {
      const error = await rejection(runTask({ name: 'pack-archive', input: { sourceDir: source, destination: path.join(source, 'self.tar.gz') } }));
      assert.equal((error.cause as { code?: unknown }).code, archiveErrorCode.input);
    });
  });

  describe('unpack-archive', () => {
    let archive: string;
    let sha256: string;
    beforeEach(async () => {
      archive = path.join(dir, 'state.tar.gz');
      ({ sha256 } = await packArchive({ sourceDir: source, destination: archive }));
    });

    it('round trip: creates the destination 0700 and restores files, directories and the symlink', async () => {
      const destination = path.join(dir, 'restored', 'here');
      const result = await unpackArchive({ archive, destination, expectSha256: sha256.toUpperCase() });
      assert.deepEqual(result, { destination, entries: 6, bytes: 6 + nestedBlob.length + 6 });
      assert.equal((await stat(destination)).mode & 0o777, 0o700);
      assert.deepEqual(await tree(destination), await tree(source));
      assert.deepEqual(await readFile(path.join(destination, 'nested', 'blob.bin')), nestedBlob);
      assert.equal(await readFile(path.join(destination, 'nested', 'deeper', 'c.txt'), 'utf8'), 'gamma\n');
      assert.ok((await lstat(path.join(destination, 'link'))).isSymbolicLink());
      assert.equal(await readlink(path.join(destination, 'link')), 'nested/blob.bin');
    });

    it('a wrong expectSha256 is refused before anything is extracted', async () => {
      const destination = path.join(dir, 'never');
      const error = await rejection(unpackArchive({ archive, destination, expectSha256: 'ab'.repeat(32) }));
      assert.equal(error.code, archiveErrorCode.checksum);
      assert.ok(!existsSync(destination), 'the destination was not even created');
    });

    it('stops at maxEntries and at maxBytes, naming the limit', async () => {
      const few = path.join(dir, 'few');
      const entries = await rejection(unpackArchive({ archive, destination: few, limits: { maxEntries: 2 } }));
      assert.equal(entries.code, archiveErrorCode.limit);
      assert.match(entries.message, /maxEntries \(2\)/);
      assert.ok((await tree(few)).length <= 2);

      const small = path.join(dir, 'small');
      const bytes = await rejection(unpackArchive({ archive, destination: small, limits: { maxBytes: 1024 } }));
      assert.equal(bytes.code, archiveErrorCode.limit);
      assert.match(bytes.message, /maxBytes \(1024\)/);
      assert.ok(!existsSync(path.join(small, 'nested', 'blob.bin')), 'the file past the limit was not written');
    });
  });

  describe('unpack-archive of hostile archives', () => {
    let destination: string;
    let outside: string;
    beforeEach(async () => {
      destination = path.join(dir, 'work', 'dest');
      outside = path.join(dir, 'outside');
      await mkdir(outside);
    });

    async function refused(entries: readonly Buffer[]): Promise<Error & { code?: unknown }> {
      const archive = await rawArchive(path.join(dir, 'hostile.tar.gz'), entries);
      return rejection(unpackArchive({ archive, destination }));
    }

    it('refuses an entry with .. and writes nothing outside', async () => {
      const error = await refused([rawEntry({ path: 'ok.txt', type: 'File' }, Buffer.from('ok')), rawEntry({ path: '../escape', type: 'File' }, Buffer.from('x'))]);
      assert.equal(error.code, 'TAR_ENTRY_ERROR');
      assert.match(error.message, /\.\./);
      assert.ok(!existsSync(path.join(dir, 'work', 'escape')));
    });

    it('refuses an absolute entry: neither written there nor stripped into the destination', async () => {
      const target = path.join(outside, 'absolute.txt');
      const error = await refused([rawEntry({ path: target, type: 'File' }, Buffer.from('x'))]);
      assert.equal(error.code, 'TAR_ENTRY_INFO');
      assert.ok(!existsSync(target));
      assert.deepEqual(await tree(destination), []);
    });

    it('refuses a symlink that points outside, and the file meant to be written through it', async () => {
      const relative = await refused([
        rawEntry({ path: 'link', type: 'SymbolicLink', linkpath: '../../outside' }),
        rawEntry({ path: 'link/pwned.txt', type: 'File' }, Buffer.from('x')),
      ]);
      assert.equal(relative.code, 'TAR_ENTRY_ERROR');
      assert.ok(!existsSync(path.join(outside, 'pwned.txt')));

      const absolute = await refused([
        rawEntry({ path: 'abs', type: 'SymbolicLink', linkpath: outside }),
        rawEntry({ path: 'abs/pwned.txt', type: 'File' }, Buffer.from('x')),
      ]);
      assert.equal(absolute.code, 'TAR_ENTRY_INFO');
      assert.ok(!existsSync(path.join(outside, 'pwned.txt')));
      assert.deepEqual(await readdir(outside), []);
    });

    it('refuses to write through a symlink already in the destination, or one from the archive', async () => {
      await mkdir(destination, { recursive: true });
      await symlink(outside, path.join(destination, 'planted'));
      const planted = await refused([rawEntry({ path: 'planted/pwned.txt', type: 'File' }, Buffer.from('x'))]);
      assert.equal(planted.code, 'TAR_SYMLINK_ERROR');
      assert.deepEqual(await readdir(outside), []);

      const inner = await refused([
        rawEntry({ path: 'sub/', type: 'Directory' }),
        rawEntry({ path: 'inner', type: 'SymbolicLink', linkpath: 'sub' }),
        rawEntry({ path: 'inner/through.txt', type: 'File' }, Buffer.from('x')),
      ]);
      assert.equal(inner.code, 'TAR_SYMLINK_ERROR');
      assert.deepEqual(await readdir(path.join(destination, 'sub')), []);
    });

    it('tar stops an archive that decompresses past its ratio bound', async () => {
      const error = await refused([rawEntry({ path: 'zeros', type: 'File' }, Buffer.alloc(20 * 1024 * 1024))]);
      assert.equal(error.code, 'TAR_ABORT');
      assert.match(error.message, /decompression ratio/);
    });

    it('refuses a hard link to a file outside', async () => {
      await writeFile(path.join(outside, 'secret'), 'secret');
      const error = await refused([rawEntry({ path: 'hard', type: 'Link', linkpath: '../../outside/secret' })]);
      assert.equal(error.code, 'TAR_ENTRY_ERROR');
      assert.ok(!existsSync(path.join(destination, 'hard')));
    });

    it('refuses device and FIFO entries', async () => {
      const device = await refused([rawEntry({ path: 'null', type: 'CharacterDevice', devmaj: 1, devmin: 3 })]);
      assert.equal(device.code, archiveErrorCode.entry);
      assert.match(device.message, /CharacterDevice/);
      assert.ok(!existsSync(path.join(destination, 'null')));

      // A FIFO packed by the system tar, as an archive from elsewhere would carry it.
      const fifoDir = path.join(dir, 'fifo-source');
      await mkdir(fifoDir);
      execFileSync('mkfifo', [path.join(fifoDir, 'pipe')]);
      const archive = path.join(dir, 'fifo.tar.gz');
      execFileSync('tar', ['-czf', archive, '-C', fifoDir, 'pipe']);
      const fifo = await rejection(unpackArchive({ archive, destination }));
      assert.equal(fifo.code, archiveErrorCode.entry);
      assert.match(fifo.message, /FIFO/);
      assert.ok(!existsSync(path.join(destination, 'pipe')));
    });
  });
});

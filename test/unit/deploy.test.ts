import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { expect } from 'chai';
import { loadConfig } from '../../src/config.js';
import { projectRoot } from '../../src/paths.js';

const run = promisify(execFile);
const unitPath = join(projectRoot, 'deploy', 'session-store.service');

/** The unit file as section → key → values (a key may repeat: Environment=). */
function parseUnit(text: string): Map<string, Map<string, string[]>> {
  const sections = new Map<string, Map<string, string[]>>();
  let current: Map<string, string[]> | undefined;
  for (const line of text.split('\n')) {
    if (line.trim() === '' || line.startsWith('#')) continue;
    const section = /^\[(\w+)\]$/.exec(line);
    if (section) {
      current = new Map();
      sections.set(section[1]!, current);
      continue;
    }
    const entry = /^(\w+)=(.*)$/.exec(line);
    if (!entry || !current) throw new Error(`not a unit file line: ${line}`);
    current.set(entry[1]!, [...(current.get(entry[1]!) ?? []), entry[2]!]);
  }
  return sections;
}

describe('deploy/session-store.service (the systemd unit)', () => {
  const text = readFileSync(unitPath, 'utf8');
  const unit = parseUnit(text);
  const service = unit.get('Service')!;
  const one = (key: string): string | undefined => service.get(key)?.at(-1);
  const environment = Object.fromEntries((service.get('Environment') ?? []).map((assignment) => assignment.split(/=(.*)/s).slice(0, 2) as [string, string]));

  it('runs the built server as an unprivileged user, stopped with SIGTERM and time to finish', () => {
    expect([...unit.keys()]).to.deep.equal(['Unit', 'Service', 'Install']);
    expect(one('ExecStart')).to.match(/^\/usr\/bin\/node \/opt\/session-store\/dist\/src\/main\.js$/);
    expect(one('User')).to.be.a('string').and.not.equal('root');
    expect(one('KillSignal')).to.equal('SIGTERM');
    // SIGTERM to the server alone: it stops its own MariaDB after the requests in flight.
    expect(one('KillMode')).to.equal('mixed');
    // Long enough for the grace period plus a MariaDB shutdown (up to 60 s).
    const stopSeconds = Number(one('TimeoutStopSec'));
    expect(stopSeconds).to.be.at.least(loadConfig(environment).shutdownGraceMs / 1000 + 60);
    expect(one('Restart')).to.equal('on-failure');
    expect(unit.get('Install')!.get('WantedBy')).to.deep.equal(['multi-user.target']);
  });

  it('is hardened: no privileges, nothing writable but its state directory, which is DATA_DIR', () => {
    for (const [key, value] of Object.entries({
      NoNewPrivileges: 'yes',
      CapabilityBoundingSet: '',
      ProtectSystem: 'strict',
      ProtectHome: 'yes',
      PrivateTmp: 'yes',
      PrivateDevices: 'yes',
      RestrictSUIDSGID: 'yes',
      UMask: '0077',
    })) {
      expect(one(key), key).to.equal(value);
    }
    expect(environment.DATA_DIR).to.equal(`/var/lib/${one('StateDirectory')}`);
    expect(one('StateDirectoryMode')).to.equal('0700');
  });

  it('sets only settings the README documents, each a value the server accepts, with metrics on loopback', () => {
    const readme = readFileSync(join(projectRoot, 'README.md'), 'utf8');
    const documented = new Set([...readme.matchAll(/^\| `([A-Z][A-Z0-9_]*)` \|/gm)].map(([, name]) => name!));
    for (const name of Object.keys(environment).filter((name) => name !== 'NODE_ENV')) expect(documented.has(name), name).to.equal(true);
    const config = loadConfig(environment);
    expect(config).to.deep.include({ host: '127.0.0.1', metricsHost: '127.0.0.1', metricsPort: 9464 });
    expect(config.database).to.deep.equal({ kind: 'local', dataDir: '/var/lib/session-store', autoInstall: false });
  });

  it('passes systemd-analyze verify, without a warning', async function () {
    const analyze = ['/usr/bin/systemd-analyze', '/bin/systemd-analyze'].find((path) => existsSync(path));
    if (!analyze) this.skip();
    // verify checks that ExecStart's program exists: where node lives elsewhere, this machine's.
    const dir = mkdtempSync(join(tmpdir(), 'unit-'));
    try {
      const copy = join(dir, 'session-store.service');
      writeFileSync(copy, existsSync('/usr/bin/node') ? text : text.replace('/usr/bin/node', process.execPath));
      const { stdout, stderr } = await run(analyze!, ['verify', copy]);
      expect(stdout + stderr).to.equal('');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

import { expect } from 'chai';
import { createLogger } from '../../src/log.js';

/** A logger writing into an array, one parsed object per line, as it would write them on stderr. */
function capture(level: Parameters<typeof createLogger>[0]): { lines: () => Array<Record<string, unknown>>; raw: string[]; logger: ReturnType<typeof createLogger> } {
  const raw: string[] = [];
  const logger = createLogger(level, { write: (text: string) => void raw.push(text) });
  return { raw, logger, lines: () => raw.map((text) => JSON.parse(text) as Record<string, unknown>) };
}

describe('logger (log.ts, on pino)', () => {
  it('writes one JSON object per line: level name, ISO time, the message first, then the fields', () => {
    const { raw, lines, logger } = capture('info');
    logger.info('listening', { port: 8080, url: 'http://127.0.0.1:8080' });
    expect(raw).to.have.length(1);
    expect(raw[0]).to.match(/\n$/);
    expect(raw[0]).to.match(/^\{"level":"info","time":"[^"]+","message":"listening","port":8080,"url":"http:\/\/127\.0\.0\.1:8080"\}\n$/);
    expect(new Date(lines()[0]!.time as string).toISOString()).to.equal(lines()[0]!.time);
  });

  it('keeps LOG_LEVEL: lines below the level are dropped, silent writes nothing', () => {
    const warn = capture('warn');
    warn.logger.debug('d');
    warn.logger.info('i');
    warn.logger.warn('w');
    warn.logger.error('e');
    expect(warn.lines().map((line) => [line.level, line.message])).to.deep.equal([
      ['warn', 'w'],
      ['error', 'e'],
    ]);
    const debug = capture('debug');
    debug.logger.debug('d');
    expect(debug.lines().map((line) => line.level)).to.deep.equal(['debug']);
    const silent = capture('silent');
    silent.logger.error('e');
    expect(silent.raw).to.deep.equal([]);
  });

  it('writes an error as its name, message, stack and code, never its other members (a driver error carries its SQL and values)', () => {
    const { lines, logger } = capture('info');
    const error = Object.assign(new Error('Duplicate entry'), { code: 'ER_DUP_ENTRY', sql: "INSERT INTO t VALUES ('secret state')", sqlMessage: 'x' });
    logger.error('request failed', { error });
    const logged = lines()[0]!.error as Record<string, unknown>;
    expect(Object.keys(logged).sort()).to.deep.equal(['code', 'message', 'name', 'stack']);
    expect(logged).to.deep.include({ name: 'Error', message: 'Duplicate entry', code: 'ER_DUP_ENTRY' });
    logger.warn('plain', { error: 'a text' });
    expect(lines()[1]!.error).to.equal('a text');
  });

  it('redacts fields that name a secret, at the top and one level down, should a call site pass one', () => {
    const { raw, lines, logger } = capture('info');
    logger.info('careless', { authorization: 'Bearer sst_x_secret1', token: 'secret2', request: { headers: { a: 'secret3' }, state: { v: 'secret4' } }, keep: 'visible' });
    expect(raw.join('')).not.to.match(/secret[1-4]/);
    expect(lines()[0]).to.deep.include({ authorization: '[redacted]', token: '[redacted]', keep: 'visible' });
    expect(lines()[0]!.request).to.deep.equal({ headers: '[redacted]', state: '[redacted]' });
  });
});

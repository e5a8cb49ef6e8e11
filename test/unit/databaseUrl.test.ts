import { expect } from 'chai';
import { formatDatabaseUrl, parseDatabaseUrl, type DatabaseTarget } from '../../src/db/target.js';

describe('DATABASE_URL (db/target.ts)', () => {
  it('reads user, password, host, port and database, over mysql:// or mariadb://', () => {
    const expected = { host: 'db.example', port: 3307, user: 'app', password: 'secret', database: 'sessions' };
    expect(parseDatabaseUrl('mysql://app:secret@db.example:3307/sessions')).to.deep.equal(expected);
    expect(parseDatabaseUrl('mariadb://app:secret@db.example:3307/sessions')).to.deep.equal(expected);
  });

  it('defaults to user root, no password, port 3306, and localhost when no host is given', () => {
    expect(parseDatabaseUrl('mysql://db.example/sessions')).to.deep.equal({ host: 'db.example', port: 3306, user: 'root', password: '', database: 'sessions' });
    expect(parseDatabaseUrl('mysql:///sessions')).to.deep.equal({ host: 'localhost', port: 3306, user: 'root', password: '', database: 'sessions' });
  });

  it('decodes percent-encoded user, password and database', () => {
    const target = parseDatabaseUrl('mysql://us%40er:p%40ss%3Aw%2Frd%3F%23%25@h/my%20db');
    expect(target).to.include({ user: 'us@er', password: 'p@ss:w/rd?#%', database: 'my db' });
  });

  it('connects over the Unix socket named by ?socket=, with no host or port', () => {
    expect(parseDatabaseUrl('mysql://app@localhost/sessions?socket=/run/my%20sql/mysqld.sock')).to.deep.equal({
      socketPath: '/run/my sql/mysqld.sock',
      user: 'app',
      password: '',
      database: 'sessions',
    });
  });

  it('refuses what it cannot use, saying what is expected and never repeating the password', () => {
    const refusal = (url: string): string => {
      try {
        parseDatabaseUrl(url);
      } catch (error) {
        return (error as Error).message;
      }
      throw new Error(`${url} was accepted`);
    };
    expect(refusal('not a url')).to.match(/^DATABASE_URL is not a URL; expected mysql:\/\/user:pass@host:port\/database$/);
    expect(refusal('mysql://app:hunter2@h:99999/db')).to.match(/is not a URL/);
    const wrongScheme = refusal('postgres://app:hunter2@h/db');
    expect(wrongScheme).to.equal('DATABASE_URL must start with mysql:// or mariadb://, not postgres://');
    expect(refusal('mysql://app:hunter2@h')).to.match(/names no database/);
    expect(refusal('mysql://app:hunter2@h/')).to.match(/names no database/);
    for (const url of ['mysql://app:hunter2@h:99999/db', 'postgres://app:hunter2@h/db', 'mysql://app:hunter2@h']) expect(refusal(url)).not.to.include('hunter2');
  });

  it('writes a target back as a URL that reads as the same target', () => {
    const targets: DatabaseTarget[] = [
      { host: 'db.example', port: 3307, user: 'app', password: 'p@ss:w/rd?#% &', database: 'my db' },
      { host: 'localhost', port: 3306, user: 'root', password: '', database: 'sessions' },
      { socketPath: '/run/my sql/mysqld.sock', user: 'us@er', password: 'x/y', database: 'd' },
    ];
    for (const target of targets) expect(parseDatabaseUrl(formatDatabaseUrl(target)), JSON.stringify(target)).to.deep.equal(target);
  });
});

import { expect } from 'chai';
import { findInexactNumber, isExactNumber } from '../../src/core/exactNumbers.js';
import { prng } from '../helpers/random.js';

describe('exact numbers', () => {
  describe('isExactNumber: the value sent equals the value given back', () => {
    it('accepts decimals a double reads back as the same value, however they are written', () => {
      for (const literal of [
        '0', '-0', '0.0', '-0.0e7', '0e999999', '1', '-1', '1.0', '1.000000000000000000000', '1e2', '1E+2', '100e0', '123.4500', '0.1', '-0.1',
        '0.30000000000000004', '9007199254740992', '-9007199254740992', '9007199254740991', '100000000000000000000',
        '1e21', '1.7976931348623157e308', '-1.7976931348623157e+308', '2.2250738585072014e-308', '5e-324',
        '0.0000000000000000000000000000001', '1000000000000000000000000000000', '123456789012345.6', '0.1e1',
        '30000000000000004e-17', '1.2345678901234567', '1e-7', '1.5e300',
      ]) {
        expect(isExactNumber(literal), literal).to.equal(true);
      }
    });

    it('refuses decimals that would come back as another value', () => {
      for (const literal of [
        '9007199254740993', '-9007199254740993', '12345678901234567890', '1e400', '-1e400', '1e309', '1.7976931348623159e308',
        '1e-400', '-1e-400', '2.5e-324', '1e-324', '4.9406564584124654e-324', '0.1000000000000000055511151231257827', '0.10000000000000001',
        '1' + '0'.repeat(400), '0.' + '0'.repeat(400) + '1', '3.141592653589793238', '1.00000000000000001',
      ]) {
        expect(isExactNumber(literal), literal).to.equal(false);
      }
    });

    it('agrees with a round trip through a double for every literal of at most 15 digits (what the prefilter skips)', () => {
      const random = prng(11);
      for (let i = 0; i < 20_000; i++) {
        const digits = String(Math.floor(random() * 10 ** (1 + Math.floor(random() * 15)))).slice(0, 15);
        const point = Math.floor(random() * (digits.length + 1));
        const mantissa = point === digits.length ? digits : `${digits.slice(0, point) || '0'}.${digits.slice(point)}`;
        const exponent = random() < 0.5 ? '' : `e${random() < 0.5 ? '-' : ''}${Math.floor(random() * 100)}`;
        const literal = `${random() < 0.3 ? '-' : ''}${mantissa}${exponent}`;
        expect(isExactNumber(literal), literal).to.equal(true);
      }
    });
  });

  describe('findInexactNumber: where the first such number is', () => {
    it('passes JSON with no candidate at all, and exact candidates', () => {
      expect(findInexactNumber('{"a":[1,2.5,-3e10,null,true,false,"x"],"b":{}}')).to.equal(undefined);
      expect(findInexactNumber('[0.30000000000000004, 9007199254740992, 1e+100, 5e-324]')).to.equal(undefined);
      expect(findInexactNumber('"9007199254740993"')).to.equal(undefined);
    });

    it('names the JSON Pointer of the number, through nested arrays and objects', () => {
      expect(findInexactNumber('9007199254740993')).to.deep.equal({ path: '', literal: '9007199254740993' });
      expect(findInexactNumber('{"a":[0,1,2,9007199254740993]}')).to.deep.equal({ path: '/a/3', literal: '9007199254740993' });
      expect(findInexactNumber('[[1,[2,3]],[[4],[5,6,[7,1e400]]]]')).to.deep.equal({ path: '/1/1/2/1', literal: '1e400' });
      expect(findInexactNumber('{"a":{"b":[]},"c":[{},{"d":1,"e":[1e-400]}]}')).to.deep.equal({ path: '/c/1/e/0', literal: '1e-400' });
      expect(findInexactNumber('[{"a":1},{"a":2},{"b":{"c":1e999}}]')).to.deep.equal({ path: '/2/b/c', literal: '1e999' });
      expect(findInexactNumber(' \n{ "x" : [ 1 , -1E+400 ] } ')).to.deep.equal({ path: '/x/1', literal: '-1E+400' });
    });

    it('escapes keys for the pointer and reads escaped keys', () => {
      expect(findInexactNumber('{"a/b~c":1e400}')!.path).to.equal('/a~1b~0c');
      expect(findInexactNumber('{"":{"":1e400}}')!.path).to.equal('//');
      expect(findInexactNumber('{"q\\"1e400\\\\":{"\\u00e9":1e400}}')!.path).to.equal('/q"1e400\\/é');
      expect(findInexactNumber('{"a\\\\":[1e400]}')!.path).to.equal('/a\\/0');
    });

    it('ignores digits and exponents inside strings, keys that look like numbers, and the letters of literals', () => {
      const text =
        '{"1e400":"9007199254740993","9007199254740993":["1e-400 and 12345678901234567890"],' +
        '"s":"\\"1e400\\" \\\\","t":[true,false,null],"e999":{"0.1000000000000000055511151231257827":1}}';
      expect(findInexactNumber(text)).to.equal(undefined);
      expect(findInexactNumber(text.replace(/}$/, ',"n":[1e400]}'))).to.deep.equal({ path: '/n/0', literal: '1e400' });
      expect(findInexactNumber('{"9007199254740993":9007199254740993}')).to.deep.equal({ path: '/9007199254740993', literal: '9007199254740993' });
    });

    it('reports the first inexact number in document order', () => {
      expect(findInexactNumber('{"a":1.5,"b":[9007199254740993,1e400]}')).to.deep.equal({ path: '/b/0', literal: '9007199254740993' });
    });

    it('is fast on a 16 MB body: a prefilter pass when nothing can be inexact, one tokenizer pass otherwise', () => {
      const row = '{"id":123456,"name":"row with 9007199254740 digits","score":0.125,"tags":["a","b"],"ok":true},';
      const rows = '[' + row.repeat(Math.floor((16 * 1024 * 1024) / row.length)).slice(0, -1);
      // Flat strings, as the body reader's decoder gives them (a concatenated one is slower to scan).
      const flat = (text: string): string => Buffer.from(text).toString();
      const plain = flat(rows + ']');
      let started = performance.now();
      expect(findInexactNumber(plain)).to.equal(undefined);
      const prefiltered = performance.now() - started;
      const late = flat(rows + ',9007199254740993]');
      started = performance.now();
      expect(findInexactNumber(late)!.literal).to.equal('9007199254740993');
      const tokenized = performance.now() - started;
      expect(prefiltered, 'prefilter ms').to.be.lessThan(500);
      expect(tokenized, 'tokenizer ms').to.be.lessThan(3000);
    });
  });
});

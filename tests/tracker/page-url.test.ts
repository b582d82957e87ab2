import { describe, expect, it } from 'vitest';
import { cleanReferrer, pageLocation } from '../../tracker/src/page-url.ts';

describe('pageLocation', () => {
  it('drops the query unless allowed', () => {
    expect(pageLocation('https://app.test/contacts?id=5&token=x', false)).toEqual({
      url: 'https://app.test/contacts',
      path: '/contacts',
    });
    expect(pageLocation('https://app.test/contacts?id=5&token=x', true).path).toBe('/contacts?id=5&token=x');
  });

  it('keeps only allowed parameters, in order, including repeats', () => {
    expect(pageLocation('https://app.test/p?a=1&secret=2&b=3&a=4', ['a', 'b']).path).toBe('/p?a=1&b=3&a=4');
    expect(pageLocation('https://app.test/p?secret=2', ['a']).path).toBe('/p');
  });

  it('keeps a hash route, filtering its own query; drops in-page anchors', () => {
    expect(pageLocation('https://app.test/#/contacts/5?tab=notes&email=a@b', ['tab'])).toEqual({
      url: 'https://app.test/#/contacts/5?tab=notes',
      path: '/#/contacts/5?tab=notes',
    });
    expect(pageLocation('https://app.test/docs#section-2', false).path).toBe('/docs');
    expect(pageLocation('https://app.test/docs#', false).path).toBe('/docs');
  });

  it('drops credentials and bounds lengths', () => {
    expect(pageLocation('https://user:pw@app.test/x', false).url).toBe('https://app.test/x');
    const long = pageLocation('https://app.test/' + 'a'.repeat(5000), false);
    expect(long.url.length).toBe(2048);
    expect(long.path.length).toBe(1024);
  });
});

describe('cleanReferrer', () => {
  it('cleans like page URLs and survives empty or invalid input', () => {
    expect(cleanReferrer('https://google.com/search?q=private', false)).toBe('https://google.com/search');
    expect(cleanReferrer('', false)).toBe('');
    expect(cleanReferrer('not a url', false)).toBe('');
  });
});

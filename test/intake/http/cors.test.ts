import { describe, expect, it } from 'vitest';
import { CorsPolicy } from '../../../src/intake/http/cors.js';

describe('CorsPolicy', () => {
  const policy = new CorsPolicy(['https://player.example.com/', 'http://localhost:*']);

  it('allows configured origins only, case-insensitively and without a trailing slash', () => {
    expect(policy.allows('https://player.example.com')).toBe(true);
    expect(policy.allows('HTTPS://PLAYER.EXAMPLE.COM')).toBe(true);
    expect(policy.allows('https://player.example.com.evil.test')).toBe(false);
    expect(policy.allows('http://player.example.com')).toBe(false);
  });

  it('scheme://host:* means any numeric port, and only that', () => {
    expect(policy.allows('http://localhost')).toBe(true);
    expect(policy.allows('http://localhost:8080')).toBe(true);
    expect(policy.allows('http://localhost:80x')).toBe(false);
    expect(policy.allows('http://localhost.evil.test')).toBe(false);
    expect(policy.allows('https://localhost:8080')).toBe(false);
  });

  it('echoes an allowed origin, always varies on Origin, and says nothing to others', () => {
    expect(policy.responseHeaders('https://player.example.com')).toEqual({
      'Access-Control-Allow-Origin': 'https://player.example.com',
      Vary: 'Origin',
    });
    expect(policy.responseHeaders('https://other.test')).toEqual({ Vary: 'Origin' });
    expect(policy.responseHeaders(null)).toEqual({ Vary: 'Origin' });
  });

  it('answers * only when * is configured', () => {
    const open = new CorsPolicy(['*']);
    expect(open.allows('https://anything.test')).toBe(true);
    expect(open.responseHeaders('https://anything.test')['Access-Control-Allow-Origin']).toBe('*');
  });

  it('preflight allows POST with the asked headers and is cached for a day', () => {
    expect(policy.preflightHeaders('http://localhost:3000', 'content-type')).toMatchObject({
      'Access-Control-Allow-Origin': 'http://localhost:3000',
      'Access-Control-Allow-Methods': 'POST, OPTIONS',
      'Access-Control-Allow-Headers': 'content-type',
      'Access-Control-Max-Age': '86400',
    });
  });
});

import type { DeviceClass } from '@activity-hub/protocol';

/** A coarse device class from a user agent; enough for the live view, no fingerprinting. */
export function deviceClass(userAgent: string | undefined): DeviceClass {
  if (!userAgent) return 'unknown';
  const ua = userAgent.toLowerCase();
  if (/bot|crawler|spider|headlesschrome\/.*(lighthouse)/.test(ua)) return 'bot';
  if (/ipad|tablet|(android(?!.*mobile))/.test(ua)) return 'tablet';
  if (/mobi|iphone|ipod|android.*mobile|windows phone/.test(ua)) return 'mobile';
  return 'desktop';
}

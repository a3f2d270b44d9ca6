// Client-derived values (a Cdn name, a content id, a player version) reach on-call chat. There
// they must stay text: no link, no mention, no markup. Both renderers pass every such value
// through here; the generic webhook keeps the values as they are (it is data, not a rendering).
//
// Links are defused by a zero-width space (U+200B) where a linkifier or markdown parser would
// start one: after a scheme's ":", between "]" and "(", after "<", before a dot followed by a
// domain-like label, and after "@". Readers see the same text; nothing becomes clickable.

const ZWSP = '\u200b';

/** Bare URLs, domains and mentions become plain text for autolinkers (Teams and Slack both autolink). */
export function defuseLinks(s: string): string {
  return s
    .replace(/:\/\//g, `:${ZWSP}//`)
    .replace(/([A-Za-z0-9-])\.(?=[A-Za-z]{2,})/g, `$1${ZWSP}.`)
    .replace(/@/g, `@${ZWSP}`);
}

/** Adaptive Card TextBlock and FactSet text: markdown links, autolinks and template functions. */
export function teamsText(s: string): string {
  return defuseLinks(s).replace(/\]\(/g, `]${ZWSP}(`).replace(/</g, `<${ZWSP}`).replace(/\{\{/g, `{${ZWSP}{`);
}

/** Slack mrkdwn needs &, < and > escaped (no <url|text> links, no <!channel>), and bare URLs defused. */
export const slackEscape = (s: string): string => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
export const slackText = (s: string): string => defuseLinks(slackEscape(s));

// The mini-program's entry: nothing global beyond the session kept in wx storage (lib/session.ts).
App({});

// Globals of the mini-program runtime for jest: wx (tests/support/wx.ts), getApp, and Page handed to
// miniprogram-simulate's Component() (data stays data, every function becomes a method; tests call onLoad).
import { fakeWx } from './wx';

const g = globalThis as unknown as Record<string, unknown>;
g.wx = fakeWx;
g.getApp = () => ({ globalData: {} });
g.getCurrentPages = () => [];
g.App = () => undefined;
g.Page = (definition: Record<string, unknown>) => {
  const methods: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(definition)) if (typeof value === 'function') methods[key] = value;
  (g.Component as (d: unknown) => void)({ data: definition.data ?? {}, methods });
};

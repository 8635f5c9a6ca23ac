// After every test: each answer the test's stubs gave must be one the API could give (tests/support/wx.ts).
import { afterEach, expect } from '@jest/globals';
import { phone } from './wx';

afterEach(() => {
  const found = phone.contractErrors;
  phone.contractErrors = [];
  expect(found).toEqual([]);
});

// The one place to set the AppID and the API's address (docs/miniprogram.md); project.config.json's appid must
// match APP_ID: a test checks it.
export const APP_ID = 'touristappid';
export const API_BASE_URL = 'http://127.0.0.1:8000/api/v1';
// Subscription message templates (订阅消息) of this AppID for new alarms; empty: the mini-program does not ask.
export const SUBSCRIBE_TEMPLATE_IDS: string[] = [];

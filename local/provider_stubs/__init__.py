"""Loopback stubs of the notification providers (Aliyun SMS, Tencent SMS, WeChat, WeCom robot) for tests and
the demo: real request formats, a record of what would have been sent, scripted failure answers."""

"""Provider clients behind `monitoring.notify.ports.Channel`: Aliyun and Tencent SMS (their SDKs), WeChat
subscribe messages and the WeCom group robot (their HTTP APIs); each maps every answer to a SendResult."""

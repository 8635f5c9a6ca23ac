"""People who use the platform: accounts, roles and scopes, passwords, lockout, refresh-token families,
invitations, WeChat openid bindings and SMS login codes (issue 14). HTTP is miniprogram_api's; storage is
`Store.accounts`."""

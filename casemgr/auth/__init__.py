"""Users, roles, passwords, MFA, sign-in and server-side sessions."""

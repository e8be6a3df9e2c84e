"""Approvals people see: who is told (destinations), what they are told (notices and the
payloads of each kind of destination), when (the schedule), and the signed links they decide
with. Pure code: the notify activity sends, the decision page serves."""

-- A lab's netmask gives its directed broadcast, where Wake-on-LAN magic
-- packets go (OpenGnsys aulas.netmask); empty: 255.255.255.0.
ALTER TABLE lab_labs ADD COLUMN netmask TEXT NOT NULL DEFAULT '';

-- boot_until: a computer woken by Wake-on-LAN is "booting" (state) until
-- its agent connects or this time passes (then it reads as off).
-- paused_by/paused_at: the admin who paused the computer's queue, and
-- when (empty: not paused); its actions wait as "paused" meanwhile.
-- enrol_claim/enrol_claim_until: an enrolment in progress holds the token
-- (the hash of a nonce) until the agent confirms it stored its
-- certificate, which consumes the token, or the attempt fails, which
-- frees it for a retry; a claim left by a crash frees itself at the time.
ALTER TABLE lab_computers ADD COLUMN boot_until TEXT NOT NULL DEFAULT '';
ALTER TABLE lab_computers ADD COLUMN paused_by TEXT NOT NULL DEFAULT '';
ALTER TABLE lab_computers ADD COLUMN paused_at TEXT NOT NULL DEFAULT '';
ALTER TABLE lab_computers ADD COLUMN enrol_claim TEXT NOT NULL DEFAULT '';
ALTER TABLE lab_computers ADD COLUMN enrol_claim_until TEXT NOT NULL DEFAULT '';

-- retry_of links a retried action's new row to the failed or expired one
-- (0: not a retry). A deleted action keeps its row, state "deleted", and
-- says who deleted it and when in its output.
ALTER TABLE lab_actions ADD COLUMN retry_of INTEGER NOT NULL DEFAULT 0;

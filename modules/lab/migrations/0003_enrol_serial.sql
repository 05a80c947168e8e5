-- enrol_serial: the certificate an unconfirmed enrolment issued under the
-- pending token (the agent may hold it although its confirmation never
-- came). When that agent connects with that certificate, its hello spends
-- the token, so nobody else can enrol with it and revoke the agent's
-- certificate. Empty: none.
ALTER TABLE lab_computers ADD COLUMN enrol_serial TEXT NOT NULL DEFAULT '';

-- Markers of once-per-deployment work done (DB.Once).
CREATE TABLE once_done (
	name TEXT NOT NULL PRIMARY KEY,
	done_at TEXT NOT NULL
);

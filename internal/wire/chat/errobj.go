package chat

// ErrorObject is the reply for any failure but a bad digest:
// {"type": <exception class>, "value": <str(exception)>, "traceback": <frames>}.
type ErrorObject struct {
	Type      string `json:"type"`
	Value     string `json:"value"`
	Traceback string `json:"traceback"`
}

// Encode is the error object's reply bytes (before netstring framing).
func (e ErrorObject) Encode() []byte {
	b, _ := MarshalPy(e) // three strings always encode
	return b
}

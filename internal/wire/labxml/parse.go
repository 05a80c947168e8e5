package labxml

import (
	"bytes"
	"encoding/xml"
	"fmt"
	"io"
	"strconv"
)

// MaxParams bounds the PARAM children of one message.
const MaxParams = 1024

// Parse decodes one complete element.
func Parse(frame []byte) (*Message, error) {
	m := &Message{}
	err := parse(frame, m)
	if err != nil {
		return nil, &MessageError{Reason: err.Error(), Action: m.Action}
	}
	return m, nil
}

func parse(frame []byte, m *Message) error {
	d := xml.NewDecoder(bytes.NewReader(frame))
	d.Strict = true
	root, err := nextStart(d)
	if err != nil {
		return err
	}
	if root.Name.Space != "" || (root.Name.Local != Command && root.Name.Local != Response) {
		return fmt.Errorf("unknown element <%s> (want COMANDO or RESPUESTA)", root.Name.Local)
	}
	m.Kind = root.Name.Local
	if err := rootAttrs(root, m); err != nil {
		return err
	}
	for {
		tok, err := d.Token()
		if err != nil {
			return fmt.Errorf("in <%s>: %v", m.Kind, err)
		}
		switch t := tok.(type) {
		case xml.StartElement:
			if t.Name.Local != "PARAM" || t.Name.Space != "" {
				return fmt.Errorf("unexpected <%s> in <%s> (only PARAM)", t.Name.Local, m.Kind)
			}
			if len(m.Params) >= MaxParams {
				return fmt.Errorf("more than %d PARAMs", MaxParams)
			}
			p, err := param(t)
			if err != nil {
				return err
			}
			if err := endOf(d, "PARAM"); err != nil {
				return err
			}
			m.Params = append(m.Params, p)
		case xml.EndElement:
			if _, err := d.Token(); err != io.EOF {
				return fmt.Errorf("data after </%s>", m.Kind)
			}
			return nil
		case xml.CharData:
			if len(bytes.TrimSpace(t)) > 0 {
				return fmt.Errorf("text in <%s> (values go in PARAM valor)", m.Kind)
			}
		default:
			return fmt.Errorf("unexpected markup in <%s>", m.Kind)
		}
	}
}

func nextStart(d *xml.Decoder) (xml.StartElement, error) {
	for {
		tok, err := d.Token()
		if err != nil {
			return xml.StartElement{}, fmt.Errorf("not XML: %v", err)
		}
		switch t := tok.(type) {
		case xml.StartElement:
			return t, nil
		case xml.CharData:
			if len(bytes.TrimSpace(t)) == 0 {
				continue
			}
		}
		return xml.StartElement{}, fmt.Errorf("expected an element")
	}
}

// endOf consumes up to the end of an empty element.
func endOf(d *xml.Decoder, name string) error {
	for {
		tok, err := d.Token()
		if err != nil {
			return fmt.Errorf("in <%s>: %v", name, err)
		}
		switch t := tok.(type) {
		case xml.EndElement:
			return nil
		case xml.CharData:
			if len(bytes.TrimSpace(t)) == 0 {
				continue
			}
		}
		return fmt.Errorf("<%s> must be empty", name)
	}
}

func rootAttrs(root xml.StartElement, m *Message) error {
	seen := map[string]bool{}
	for _, a := range root.Attr {
		if a.Name.Space != "" {
			continue
		}
		if seen[a.Name.Local] {
			return fmt.Errorf("attribute %s given twice", a.Name.Local)
		}
		seen[a.Name.Local] = true
		var err error
		switch a.Name.Local {
		case "codigo":
			var n int64
			n, err = strconv.ParseInt(a.Value, 10, 32)
			if err == nil && n < 0 {
				err = fmt.Errorf("negative")
			}
			m.Code = int(n)
		case "accion":
			m.Action, err = strconv.ParseInt(a.Value, 10, 64)
			if err == nil && m.Action < 0 {
				m.Action, err = 0, fmt.Errorf("negative")
			}
		case "nombre":
			m.Name = a.Value
		case "respuesta":
			m.Text = a.Value
		case "resultado":
			switch a.Value {
			case "0":
				m.Result = Failure
			case "1":
				m.Result = Success
			default:
				err = fmt.Errorf("want 1 (success) or 0 (failure)")
			}
		case "ipaddr":
			m.IP = a.Value
		}
		if err != nil {
			return fmt.Errorf("attribute %s=%q: %v", a.Name.Local, a.Value, err)
		}
	}
	want := []string{"codigo", "accion", "nombre"}
	if m.Kind == Response {
		want = []string{"codigo", "accion", "resultado"}
	}
	for _, w := range want {
		if !seen[w] {
			return fmt.Errorf("<%s> lacks attribute %s", m.Kind, w)
		}
	}
	return nil
}

func param(t xml.StartElement) (Param, error) {
	var p Param
	var hasName, hasValue bool
	for _, a := range t.Attr {
		switch {
		case a.Name.Space != "":
		case a.Name.Local == "nombre" && !hasName:
			p.Name, hasName = a.Value, true
		case a.Name.Local == "valor" && !hasValue:
			p.Value, hasValue = a.Value, true
		case a.Name.Local == "nombre" || a.Name.Local == "valor":
			return p, fmt.Errorf("PARAM attribute %s given twice", a.Name.Local)
		}
	}
	if !hasName || p.Name == "" {
		return p, fmt.Errorf("PARAM without nombre")
	}
	if !hasValue {
		return p, fmt.Errorf("PARAM %q without valor", p.Name)
	}
	return p, nil
}

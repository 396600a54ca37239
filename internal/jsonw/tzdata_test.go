package jsonw

// The tests load time zones: they must pass on machines without zoneinfo.
import _ "time/tzdata"

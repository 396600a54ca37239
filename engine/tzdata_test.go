package engine_test

// The tests load time zones: they must pass on machines without zoneinfo.
import _ "time/tzdata"

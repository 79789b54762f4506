package batch

import "testing"

func TestParseSchedule(t *testing.T) {
	valid := []string{
		"*/5 * * * *", "0 0 1 JAN MON", "0-30/10 1,2,3 * jan-mar mon-fri", "5/15 * * * *",
		"? ? ? ? ?", "59 23 31 12 6", "@daily", "@midnight", "@yearly", "@annually", "@monthly",
		"@weekly", "@hourly", "@every 1h30m", "TZ=UTC 0 * * * *", "CRON_TZ=Europe/Berlin @daily",
	}
	for _, s := range valid {
		if err := ParseSchedule(s); err != nil {
			t.Errorf("%q: %v", s, err)
		}
	}
	invalid := map[string]string{
		"":                          "empty spec string",
		"* * * *":                   "expected exactly 5 fields, found 4: [* * * *]",
		"60 * * * *":                "end of range (60) above maximum (59): 60",
		"* 24 * * *":                "end of range (24) above maximum (23): 24",
		"* * 0 * *":                 "beginning of range (0) below minimum (1): 0",
		"* * * 13 *":                "end of range (13) above maximum (12): 13",
		"* * * * 7":                 "end of range (7) above maximum (6): 7",
		"*/0 * * * *":               "step of range should be a positive number: */0",
		"1-2-3 * * * *":             "too many hyphens: 1-2-3",
		"1/2/3 * * * *":             "too many slashes: 1/2/3",
		"5-1 * * * *":               "beginning of range (5) beyond end of range (1): 5-1",
		"a * * * *":                 `failed to parse int from a: strconv.Atoi: parsing "a": invalid syntax`,
		"* * * FOO *":               `failed to parse int from FOO: strconv.Atoi: parsing "FOO": invalid syntax`,
		"@often":                    "unrecognized descriptor: @often",
		"@every x":                  `failed to parse duration @every x: time: invalid duration "x"`,
		"TZ=Nowhere/City 0 * * * *": "provided bad location Nowhere/City: unknown time zone Nowhere/City",
	}
	for s, want := range invalid {
		if err := ParseSchedule(s); err == nil || err.Error() != want {
			t.Errorf("%q: error %v, want %q", s, err, want)
		}
	}
}

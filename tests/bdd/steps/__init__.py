"""The plain-language step library of the BDD suites.

Given steps assemble a scenario (station, cars, grid, tokens), When steps append scenario steps,
and the first Then step runs the scenario once, in virtual time; every Then step then reads the
recorded timeline. Nothing sleeps: every assertion is about timeline timestamps. ``[...]`` is
optional, ``D`` a duration (``3 s``, ``100 ms``, ``5 min``, ``1 h``), ``N`` a connector.

Given
  the station "ac-1-connector"               (tests/features/stations/, then scenarios/stations/)
  module "evse1" has max_current_a = 16      (any module parameter; the value is YAML)
  connector N offers at most 32 A | connector N is wired for one|three phase(s)
  the connectors are not energy managed | ventilation is available [on connector N]
  the PWM stop timeout is D | the energy manager waits D before raising a limit
  the grid supply allows 63 A | the grid connection fuse is 63 A
  free charging is enabled | the connection timeout is D
  the local allow list accepts "A", "B" [and blocks "C"]
  a "sedan-3ph-11kw" car [on connector N] [at 40 % state of charge]
  the car [on connector N] has reaction_time_s = 2           (any SimCar parameter)
  the car [on connector N] follows a change of the PWM duty after D
  the car [on connector N] stops charging at 90 %
  the car [on connector N] starts with the script "..."
  the run lasts at most D | signals are sampled every D

When (timing steps apply to the next action; what is left after the last one ends the run)
  D pass | the clock reaches t = D | we wait [up to D] for <happening>
  the car [on connector N] is plugged in | is unplugged | pauses charging | resumes charging
  the car [on connector N] runs the script "sleep 1;iec_wait_pwr_ready;draw_power_fixed 16,3"
  the state of charge of the car [on connector N] is set to 80 %
  the car [on connector N] signals an error (state E) | requests ventilation (state D)
  the pilot diode of the car [on connector N] is shorted
  the car [on connector N] no longer signals an error | requests ventilation
                                | has a shorted pilot diode
  a residual current of 30 mA AC|DC leaks [on connector N] | the residual current ... stops
  the driver swipes the card "AABBCCDD" [at the reader "rfid"]
  the charger pauses|resumes charging [on connector N]
  the transaction [on connector N] is stopped [with reason Remote]
  connector N is enabled|disabled
  the grid supply limit changes|drops|rises to 10 A | the grid supply fails|is restored

Then
  <happening> within D of [each time] <happening>
  within D of [each time] <happening>, <happening>
  <happening> D (± D) after <happening>
  the timeline shows <happening> [once|twice|3 times] [before t = D]
  the timeline never shows <happening> [after t = D] [until t = D]
  the error evse_manager/RCDTrip is raised|cleared [on connector N] | no error is raised
  the token ["AABBCCDD"] is [never] accepted|rejected|timed out|used to stop
  the session events [on connector N] are|include A, B, C in this order
  the session events [on connector N] do not include A, B
  charging never starts [on connector N]
  the state of connector N is Charging at the end|at t = D
  the contactor [on connector N] never closes [window] | is open|closed at the end|at t = D
  the PWM duty [on connector N] is 26.67 % [at t = D]    (every duty offered, to the digits)
  the PWM duties [on connector N] are 53.33 %, 26.67 % in this order
  the pilot|PWM [on connector N] is off|in state F|a PWM at the end|at t = D
  the PWM [on connector N] never starts
  the current [on L1] [on connector N] never exceeds 16 A [window]
  the current [on L1] [on connector N] stays between 15 and 16 A [window] | is 16 A at t = D
  the current on L1, L2 and L3 of connector N reaches 16 A
  no current flows on L2 and L3 of connector N
  the sum of the connectors' L1 currents never exceeds 32 A [window]
  the signal current_l1_a [on connector N] stays at most|at least X|between X and Y [window]
  at least|most 10 kWh|Wh were delivered [on connector N]
  the state of charge of the car [on connector N] ends above|below 80 %
  the scenario is refused [because "text"] | every scenario step ran
  ([window] is [after|from t = D] [until t = D].)

Happenings (each may say "on connector N"): the contactor closes|opens; the car goes from B to
C; the pilot enters state F; a session event name (ChargingStarted) or "charging starts"; the
error X is raised|cleared; the token ["X"] is accepted|rejected|timed out|used to stop; the card
"X" is swiped; the car is plugged in|unplugged; the car|charger pauses|resumes charging; the grid
limit changes; the fault is injected; the transaction is stopped; the step "id"; the PWM
stops|starts; the PWM duty changes to 26.67 %; the [L2] current drops to|rises to 16 A; the
state of charge reaches 80 %; the charger state becomes Charging. Verb forms vary ("goes",
"going", "to go"...) so that phrases read naturally in every step.
"""

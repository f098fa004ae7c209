"""What people see, by surface: pure functions of domain objects (`storage.model`), the routing config
and `now`, returning Block Kit payloads.

| module    | surface                                                                        |
|-----------|--------------------------------------------------------------------------------|
| `dm`      | the rep's DMs: the offer with Accept / Reassign, its rewrite, the reminder     |
| `channel` | the team channel: the lead's thread, escalations, the digest after an outage   |
| `home`    | the App Home tab                                                               |
| `modals`  | ``views.open`` payloads                                                        |
| `lists`   | lead lists shared by ``/leads`` and the Home                                   |
| `kit`     | the parts all of them build with (`Rendered`, blocks, buttons, the lead card)  |
| `story`   | what became of a lead's offers, in words the DM and the channel share          |

The escaping and size guarantees every surface keeps are stated in `bot.render.kit`.
"""

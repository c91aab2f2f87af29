#!/usr/bin/env node
// The entry of earlier versions of exp (an ES module): weekly crontab lines installed by `exp cron install` and shell
// aliases name it. exp's entry is now bin/run.cjs, which starts faster (it says why).
import './run.cjs'
